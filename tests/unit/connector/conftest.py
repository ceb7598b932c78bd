"""Fixtures for connector tests: a loopback sshd (marker ``sshd``) and SSH settings for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loopback_sshd import LoopbackSSHD, available


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackSSHD]:
    reason = available()
    if reason:
        pytest.skip(f"loopback sshd unavailable: {reason}")
    server = LoopbackSSHD(tmp_path_factory.mktemp("sshd")).start()
    try:
        yield server
    finally:
        server.stop()
