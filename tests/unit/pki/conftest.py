"""One generated PKI per session (ECDSA keys, so generation stays fast)."""

from __future__ import annotations

import pytest
from pkitest_helpers import Generated, make_plan

from kubexm.pki.generate import ensure_pki


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    root = tmp_path_factory.mktemp("pki-session")
    plan = make_plan()
    report = ensure_pki(plan, root / "pki")
    return Generated(root, plan, report)
