"""systemd units and services: unit files (verified before they are installed), daemon-reload
only after a unit changed, enabled/running end states, and waiting until a service is active.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from kubexm.errors import CommandError
from kubexm.runner.files import ensure_file, get_file_state
from kubexm.runner.host import Host, OpResult, combine, poll_script
from kubexm.util.hashing import sha256_bytes
from kubexm.util.shell import quote

UNIT_DIR = "/etc/systemd/system"
_VERIFY_DIR = "/run/kubexm/verify"


@dataclass(frozen=True)
class ServiceState:
    """``active`` as ``systemctl is-active`` says it, ``enabled`` as ``is-enabled`` says it;
    ``exists`` is False when systemd knows no such unit."""

    active: str
    enabled: str

    @property
    def exists(self) -> bool:
        return self.enabled not in ("", "not-found") or self.active not in ("", "inactive")

    @property
    def running(self) -> bool:
        return self.active in ("active", "activating", "reloading")

    @property
    def is_enabled(self) -> bool:
        return self.enabled in ("enabled", "enabled-runtime", "static", "alias", "indirect")


def _unit(name: str) -> str:
    return name if "." in name else f"{name}.service"


async def get_service_state(host: Host, name: str) -> ServiceState:
    """``is-active`` and ``is-enabled`` of ``name`` in one round trip (never raises on state)."""
    unit = quote(_unit(name))
    result = await host.run(f"systemctl is-active {unit}; systemctl is-enabled {unit}", check=False)
    lines = [line.strip() for line in result.stdout.splitlines()] + ["", ""]
    return ServiceState(active=lines[0], enabled=lines[1])


async def is_service_active(host: Host, name: str) -> bool:
    """True when the service is active right now."""
    return await host.test(f"systemctl is-active --quiet {quote(_unit(name))}")


async def daemon_reload(host: Host) -> OpResult:
    """Make systemd re-read unit files (always a change; call it only after one)."""
    return await host.execute("reload systemd units", "systemctl daemon-reload")


async def _verify(host: Host, name: str, data: bytes) -> None:
    # Verify a copy under its real name before installing it, so a broken unit never lands.
    staged = f"{_VERIFY_DIR}/{sha256_bytes(data)[:12]}/{name}"
    await host.run(f"mkdir -p -- {quote(posixpath.dirname(staged))}")
    await host.put(data, staged, mode=0o644)
    cmd = (
        f"systemd-analyze verify {quote(staged)}; rc=$?; "
        f"rm -rf -- {quote(posixpath.dirname(staged))}; exit $rc"
    )
    result = await host.run(cmd, check=False, timeout=60.0)
    if not result.ok:
        raise CommandError(
            host.name,
            f"systemd-analyze verify {name}",
            result.exit_status,
            result.stdout,
            result.stderr,
            hint="the rendered unit is invalid or names a binary that is not installed yet",
        )


async def ensure_unit(
    host: Host, name: str, content: str, *, verify: bool = True, unit_dir: str = UNIT_DIR
) -> OpResult:
    """``<unit_dir>/<name>`` holds ``content``; on change systemd reloads its units.

    ``name`` may be a drop-in (``containerd.service.d/10-kubexm.conf``); only whole units are
    verified with ``systemd-analyze verify`` (before the file is installed). Raises
    ``CommandError`` when verification fails; the installed file is then left untouched.
    """
    path = f"{unit_dir}/{name}"
    data = content.encode()
    state = await get_file_state(host, path)
    if state.kind == "file" and state.sha256 == sha256_bytes(data) and state.mode == 0o644:
        return OpResult.unchanged(f"{path} up to date")
    if verify and "/" not in name and not host.dry_run:
        await _verify(host, name, data)
    written = await ensure_file(host, path, data, mode=0o644)
    return combine([written, await daemon_reload(host)])


async def ensure_unit_absent(host: Host, name: str, *, unit_dir: str = UNIT_DIR) -> OpResult:
    """No unit file ``name`` (stopped and disabled first); systemd reloads after removal."""
    path = f"{unit_dir}/{name}"
    if not (await get_file_state(host, path)).exists:
        return OpResult.unchanged(f"{path} absent")
    steps = []
    if "/" not in name:
        steps.append(await ensure_service(host, name, running=False, enabled=False))
    steps.append(await host.execute(f"remove {path}", f"rm -rf -- {quote(path)}"))
    steps.append(await daemon_reload(host))
    return combine(steps)


async def ensure_service(
    host: Host, name: str, *, running: bool = True, enabled: bool = True
) -> OpResult:
    """The service is running (or stopped) and enabled (or disabled) as asked.

    One read, then at most one command. Raises ``CommandError`` when systemctl fails, e.g.
    the unit does not exist or fails to start (the hint points at journalctl).
    """
    state = await get_service_state(host, name)
    unit = quote(_unit(name))
    verbs: list[str] = []
    if enabled != state.is_enabled and state.enabled != "static":
        verbs.append("enable" if enabled else "disable")
    if running != state.running:
        verbs.append("start" if running else "stop")
    if not verbs:
        return OpResult.unchanged(f"{name} already {state.active}/{state.enabled}")
    what = " and ".join(verbs) + f" {name}"
    cmd = " && ".join(f"systemctl {verb} {unit}" for verb in verbs)
    try:
        return await host.execute(what, cmd)
    except CommandError as exc:
        exc.hint = exc.hint or f"see 'journalctl -u {_unit(name)}' on {host.name}"
        raise


async def restart_service(host: Host, name: str) -> OpResult:
    """Restart ``name`` now (always a change). Raises ``CommandError`` when it fails."""
    return await host.execute(f"restart {name}", f"systemctl restart {quote(_unit(name))}")


async def reload_service(host: Host, name: str) -> OpResult:
    """Ask ``name`` to reload its configuration, restarting it when it cannot reload."""
    return await host.execute(f"reload {name}", f"systemctl reload-or-restart {quote(_unit(name))}")


async def wait_service_active(host: Host, name: str, *, timeout: float = 60.0) -> None:
    """Return once ``name`` is active; raise ``CommandError`` (hint: journalctl) after
    ``timeout`` seconds. Records ``would wait`` in dry-run."""
    check = f"systemctl is-active --quiet {quote(_unit(name))}"
    await host.wait(
        f"{name} active",
        poll_script(check, timeout),
        timeout=timeout,
        hint=f"see 'journalctl -u {_unit(name)}' on {host.name}",
    )
