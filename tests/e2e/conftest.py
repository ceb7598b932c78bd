"""Real-host fixtures: ``lab`` (local systemd-nspawn hosts) and ``remote_host`` (a machine you
point the tests at through KUBEXM_TEST_* variables).

``lab`` brings the hosts up once per session (``KUBEXM_LAB_HOSTS``, default 3) and removes them
at the end unless ``KUBEXM_LAB_KEEP=1`` or another test session on the machine still uses them.
It skips, saying why, when not root or a prerequisite is missing. Every test that uses it gets
the ``lab`` marker automatically.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from kubexm.errors import LabError
from kubexm.lab import Paths, RunningLab, down, lease_holders, take_lease, up
from kubexm.lab.system import check_prerequisites

DEFAULT_LAB_HOSTS = 4


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "lab" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.lab)
    # Tests that need a machine with no lab (the full up/down cycle) run before any test
    # brings up the shared session lab, otherwise they could only skip.
    # The same for tests that bring up a lab of their own size (cluster_lab).
    own = ("clean_machine", "cluster_lab")
    items.sort(key=lambda item: not any(f in getattr(item, "fixturenames", ()) for f in own))


def lab_unavailable_reason() -> str | None:
    """Why the lab cannot run on this machine, or None when it can."""
    try:
        check_prerequisites()
    except LabError as error:
        return f"lab unavailable: {error}"
    return None


def lab_size() -> int:
    raw = os.environ.get("KUBEXM_LAB_HOSTS", str(DEFAULT_LAB_HOSTS))
    try:
        count = int(raw)
    except ValueError:
        raise pytest.UsageError(f"KUBEXM_LAB_HOSTS must be a number, got {raw!r}") from None
    return count


@pytest.fixture(scope="session")
def lab() -> Iterator[RunningLab]:
    """The session's lab hosts (kxnode1.. at 10.77.0.11..), up and ssh-ready.

    Taken down at the end unless KUBEXM_LAB_KEEP=1 or another live session still uses it.
    """
    reason = lab_unavailable_reason()
    if reason:
        pytest.skip(reason)
    paths = Paths()
    lease = take_lease(paths)  # before up(): a session ending meanwhile must see us
    started = time.monotonic()
    result = up(lab_size(), paths=paths)
    sys.stderr.write(
        f"\nlab: {len(result.state.hosts)} hosts ssh-ready in {result.ready_seconds:.1f} s"
        f" (template build {result.template_seconds:.0f} s, total"
        f" {time.monotonic() - started:.1f} s)\n"
    )
    yield RunningLab(result.state.hosts, paths)
    lease.unlink(missing_ok=True)
    if os.environ.get("KUBEXM_LAB_KEEP") != "1" and not lease_holders(paths):
        down(paths)


@dataclass(frozen=True)
class RemoteHost:
    """A machine given through KUBEXM_TEST_*; the same fields as ``LabHost`` plus root login."""

    name: str
    address: str
    port: int
    root_key_path: str
    sudo_user: str
    sudo_password: str = field(repr=False)
    root_user: str = "root"
    root_password: str = field(default="", repr=False)
    sudo_key_path: str = ""


def remote_host_from_env(env: dict[str, str] | os._Environ[str]) -> RemoteHost | None:
    """Build the host from KUBEXM_TEST_* (ARCHITECTURE §7), or None when HOST is unset."""
    address = env.get("KUBEXM_TEST_HOST", "")
    if not address:
        return None
    return RemoteHost(
        name=address,
        address=address,
        port=int(env.get("KUBEXM_TEST_PORT", "22")),
        root_key_path=env.get("KUBEXM_TEST_ROOT_KEY", ""),
        sudo_user=env.get("KUBEXM_TEST_SUDO_USER", ""),
        sudo_password=env.get("KUBEXM_TEST_SUDO_PASSWORD", ""),
        root_user=env.get("KUBEXM_TEST_ROOT_USER", "root"),
        root_password=env.get("KUBEXM_TEST_ROOT_PASSWORD", ""),
        sudo_key_path=env.get("KUBEXM_TEST_SUDO_KEY", ""),
    )


@pytest.fixture(scope="session")
def remote_host() -> RemoteHost:
    """The machine named by KUBEXM_TEST_HOST; the test is skipped when it is unset."""
    host = remote_host_from_env(os.environ)
    if host is None:
        pytest.skip("KUBEXM_TEST_HOST is not set (point the tests at a machine to run them)")
    return host
