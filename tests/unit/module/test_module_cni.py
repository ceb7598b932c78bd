"""CNIModule: the plugin's objects, then the wait, all on the first master."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from cluster_kit import Ctx, cluster, stock

from kubexm.errors import PlanError
from kubexm.module.base import MODULES
from kubexm.module.cni import CNIModule, work_dir_of
from kubexm.plan import Graph


def test_plans_manifest_then_wait_on_the_first_master(tmp_path: Path) -> None:
    c = cluster()
    stock(tmp_path, c)

    frag = CNIModule().plan(Ctx(c, tmp_path))

    assert frag is not None
    Graph.from_fragment(frag, "t")
    ids = [n.id for n in frag]
    assert ids == ["cni/install-cni-manifest@m1", "cni/wait-nodes-ready@m1"]
    assert ids[0] in list(frag)[1].deps
    assert MODULES.get("cni") is CNIModule


def test_needs_a_run_context_with_a_work_dir() -> None:
    @dataclass
    class Bare:
        config: object

    with pytest.raises(PlanError, match="work dir"):
        work_dir_of(Bare(cluster()))  # type: ignore[arg-type]  # a context without work_dir
