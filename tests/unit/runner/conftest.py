"""Fixtures shared by the runner tests: a fresh scripted fake host per test."""

from __future__ import annotations

import pytest
from fakeconn import FakeConnection

from kubexm.runner.host import Host


@pytest.fixture
def fake() -> FakeConnection:
    return FakeConnection()


@pytest.fixture
def host(fake: FakeConnection) -> Host:
    return Host(fake)
