"""Every runner operation against a real lab host, as root and as a sudo user with a password:
the first run changes the host, the second finds it done.

Each login works under its own paths and names (``/tmp/kubexm-e2e-<user>``...), so the two
logins do not see each other's results, and everything made here is removed at the end.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from kubexm.connector.base import Connection
from kubexm.connector.pool import open_connection
from kubexm.connector.settings import SSHSettings
from kubexm.errors import CommandError, KubexmError
from kubexm.lab import LabHost, RunningLab
from kubexm.runner.archives import ensure_extracted, marker_path
from kubexm.runner.criconfig import (
    ContainerdSettings,
    CrictlSettings,
    DockerSettings,
    MirrorEndpoint,
    ensure_containerd_config,
    ensure_crictl_yaml,
    ensure_docker_daemon_json,
    ensure_registry_hosts,
)
from kubexm.runner.facts import gather_facts
from kubexm.runner.files import (
    ensure_absent,
    ensure_attributes,
    ensure_directory,
    ensure_file,
    ensure_symlink,
    ensure_template,
    get_file_state,
)
from kubexm.runner.host import Host, OpResult
from kubexm.runner.kernel import (
    MODULE_EVIDENCE,
    ensure_kernel_modules,
    ensure_swap_off,
    ensure_sysctl,
    get_kernel_modules,
)
from kubexm.runner.network import get_ports_in_use, wait_for_port, wait_for_url
from kubexm.runner.packages import ensure_local_packages, get_installed_packages
from kubexm.runner.system import (
    ensure_firewall_off,
    ensure_hostname,
    ensure_hosts_block,
    ensure_selinux_off,
    ensure_timezone,
    ensure_user,
)
from kubexm.runner.systemd import (
    ensure_service,
    ensure_unit,
    ensure_unit_absent,
    get_service_state,
    wait_service_active,
)

pytestmark = pytest.mark.lab

Op = Callable[[], Awaitable[OpResult]]


async def twice(op: Op) -> None:
    first = await op()
    second = await op()
    assert first.changed, first
    assert not second.changed, second


def settings(target: LabHost, login: str) -> SSHSettings:
    if login == "root":
        return SSHSettings(
            host_name=target.name,
            address=target.address,
            port=target.port,
            private_key_path=Path(target.root_key_path),
        )
    return SSHSettings(
        host_name=target.name,
        address=target.address,
        port=target.port,
        user=target.sudo_user,
        password=target.sudo_password,
    )


@pytest.fixture(params=["root", "sudo"])
async def host(request: pytest.FixtureRequest, lab: RunningLab) -> AsyncIterator[Host]:
    conn: Connection = await open_connection(settings(lab.hosts[0], request.param))
    try:
        yield Host(conn, sudo=True)
    finally:
        await conn.close()


async def user_of(host: Host) -> str:
    # The login user, as seen without sudo: names this login's scratch paths.
    result = await host.conn.run("id -un", sudo=False)
    return result.stdout.strip()


async def test_facts_describe_the_lab_host(host: Host, lab: RunningLab) -> None:
    facts = await gather_facts(host)

    assert facts.os_id == "debian"
    assert facts.init_system == "systemd"
    assert facts.cgroup_version in (1, 2)
    assert facts.hostname.startswith(lab.hosts[0].name)
    assert facts.default_ipv4 == lab.hosts[0].address
    assert facts.package_manager == "apt"
    assert abs(facts.clock_offset_s) < 0.5  # lab hosts share this machine's clock


async def test_file_operations_change_then_hold(host: Host) -> None:
    base = f"/tmp/kubexm-e2e-{await user_of(host)}"
    await ensure_absent(host, base)
    try:
        await twice(lambda: ensure_directory(host, f"{base}/d", mode=0o750))
        await twice(lambda: ensure_file(host, f"{base}/d/a.conf", "a=1\n", mode=0o600))
        await twice(lambda: ensure_template(host, f"{base}/t.conf", "x={{ x }}\n", {"x": 1}))
        await twice(lambda: ensure_symlink(host, f"{base}/link", f"{base}/d/a.conf"))
        await twice(lambda: ensure_attributes(host, f"{base}/t.conf", mode=0o640, owner="nobody"))
        await twice(lambda: ensure_absent(host, f"{base}/t.conf"))

        state = await get_file_state(host, f"{base}/d/a.conf")
        assert (state.kind, state.mode, state.owner) == ("file", 0o600, "root")
    finally:
        await ensure_absent(host, base)


async def test_dry_run_changes_nothing_on_a_real_host(host: Host) -> None:
    path = f"/tmp/kubexm-e2e-dry-{await user_of(host)}"
    dry = Host(host.conn, sudo=True, dry_run=True)

    result = await ensure_file(dry, path, "never written\n")

    assert result.changed
    assert not (await get_file_state(host, path)).exists
    assert dry.recorder.lines() == [f"[{host.name}] would write {path}"]


def _tgz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


async def test_archive_extracts_once(host: Host) -> None:
    base = f"/tmp/kubexm-e2e-tar-{await user_of(host)}"
    archive = f"{base}/tool-v1.tar.gz"
    await ensure_file(host, archive, _tgz({"tool-v1/tool": b"#!/bin/sh\necho hi\n"}))
    try:
        await twice(
            lambda: ensure_extracted(
                host, archive, f"{base}/bin", members=["tool-v1/tool"], strip_components=1
            )
        )
        assert (await host.run(f"{base}/bin/tool")).stdout == "hi\n"
    finally:
        await ensure_absent(host, base)
        await host.run(f"rm -f {marker_path(archive, f'{base}/bin')}")


async def test_systemd_unit_and_service_change_then_hold(host: Host) -> None:
    name = f"kubexm-e2e-{await user_of(host)}.service"
    unit = "[Unit]\nDescription=kubexm e2e\n[Service]\nExecStart=/bin/sleep infinity\n"
    unit += "[Install]\nWantedBy=multi-user.target\n"
    try:
        await twice(lambda: ensure_unit(host, name, unit))
        await twice(lambda: ensure_service(host, name, running=True, enabled=True))
        await wait_service_active(host, name, timeout=20)
        await twice(lambda: ensure_service(host, name, running=False, enabled=False))

        state = await get_service_state(host, name)
        assert (state.running, state.is_enabled) == (False, False)
    finally:
        await ensure_unit_absent(host, name)


async def test_broken_unit_is_refused_before_install(host: Host) -> None:
    name = f"kubexm-e2e-broken-{await user_of(host)}.service"
    with pytest.raises(CommandError):
        await ensure_unit(host, name, "[Service]\nExecStart=/no/such/binary\nType=bogus\n")
    assert not (await get_file_state(host, f"/etc/systemd/system/{name}")).exists


async def test_sysctl_and_modules_change_then_hold(host: Host) -> None:
    login = await user_of(host)
    value = 600 if login == "root" else 601
    keys = {"net.ipv4.tcp_keepalive_time": value, "vm.swappiness": 1}
    sysctl_file = f"/etc/sysctl.d/99-kubexm-e2e-{login}.conf"
    modules_file = f"/etc/modules-load.d/kubexm-e2e-{login}.conf"
    # Modules the shared kernel already has: a container cannot modprobe.
    states = await get_kernel_modules(host, list(MODULE_EVIDENCE))
    present = [m for m, state in states.items() if state != "absent"]
    assert "overlay" in present, states
    try:
        await twice(lambda: ensure_sysctl(host, keys, path=sysctl_file, tolerate_refused=True))
        refused = await ensure_sysctl(host, keys, path=sysctl_file, tolerate_refused=True)
        assert "kernel refused: vm.swappiness" in refused.detail
        await twice(lambda: ensure_kernel_modules(host, present, path=modules_file))
        with pytest.raises(CommandError):
            await ensure_kernel_modules(host, ["no_such_module_kx"], path=modules_file)
    finally:
        await host.run(f"rm -f {sysctl_file} {modules_file}")


async def test_swap_is_commented_out_of_fstab(host: Host) -> None:
    line = f"/kubexm-e2e-swap-{await user_of(host)} none swap sw 0 0"
    await host.run("cp -p /etc/fstab /tmp/kubexm-e2e-fstab")
    await host.run(f"printf '%s\\n' '{line}' >> /etc/fstab")
    try:
        await twice(lambda: ensure_swap_off(host))
        assert f"#{line}" in (await host.run("cat /etc/fstab")).stdout
    finally:
        await host.run("cp -p /tmp/kubexm-e2e-fstab /etc/fstab; rm -f /etc/fstab.kubexm.bak")


async def test_hosts_hostname_timezone_and_user(host: Host) -> None:
    login = await user_of(host)
    original_name = (await host.run("hostname")).stdout.strip()
    original_zone = (await host.run("readlink /etc/localtime; true")).stdout.strip()
    zone = "Asia/Shanghai" if login == "root" else "Europe/Paris"
    try:
        await twice(lambda: ensure_hosts_block(host, [("10.77.0.250", [f"e2e-{login}.local"])]))
        await twice(lambda: ensure_hostname(host, f"{original_name}-{login}"))
        if await host.test(f"test -e /usr/share/zoneinfo/{zone}"):
            await twice(lambda: ensure_timezone(host, zone))
        else:  # minbase without tzdata: the error must say so
            with pytest.raises(KubexmError, match="unknown timezone"):
                await ensure_timezone(host, zone)
        await twice(lambda: ensure_user(host, f"kxe2e{login}"))
        # Nothing to switch off on a Debian host: both report unchanged.
        assert not (await ensure_firewall_off(host)).changed
        assert not (await ensure_selinux_off(host)).changed
    finally:
        await ensure_hosts_block(host, [])
        await ensure_hostname(host, original_name)
        if original_zone:
            await host.run(f"ln -sfn {original_zone} /etc/localtime")
        await host.run(f"userdel kxe2e{login} 2>/dev/null; groupdel kxe2e{login} 2>/dev/null; true")


def _deb(tmp_path: Path, name: str) -> bytes:
    root = tmp_path / name
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: {name}\nVersion: 1.0\nArchitecture: all\n"
        "Maintainer: kubexm <e2e@kubexm.invalid>\nDescription: kubexm e2e dummy\n"
    )
    subprocess.run(["dpkg-deb", "--build", str(root), str(tmp_path / f"{name}.deb")], check=True)
    return (tmp_path / f"{name}.deb").read_bytes()


async def test_local_package_installs_once(host: Host, tmp_path: Path) -> None:
    name = f"kubexm-e2e-{await user_of(host)}"
    remote = f"/tmp/{name}.deb"
    try:
        data = _deb(tmp_path, name)
    except (FileNotFoundError, subprocess.CalledProcessError):
        pytest.skip("dpkg-deb is not available on this machine")
    await ensure_file(host, remote, data)
    try:
        await twice(lambda: ensure_local_packages(host, [remote], [name], manager="apt"))
        assert name in await get_installed_packages(host, [name], manager="apt")
    finally:
        await host.run(f"dpkg -r {name} >/dev/null 2>&1; rm -f {remote}")


async def test_ports_and_waits(host: Host) -> None:
    assert await get_ports_in_use(host, [22, 1]) == [22]
    await wait_for_port(host, 22, timeout=5)
    with pytest.raises(CommandError):
        await wait_for_url(host, "https://127.0.0.1:1/healthz", timeout=2)


async def test_runtime_config_writers_change_then_hold(host: Host) -> None:
    base = f"/tmp/kubexm-e2e-cri-{await user_of(host)}"
    try:
        await twice(
            lambda: ensure_containerd_config(host, ContainerdSettings(), path=f"{base}/c.toml")
        )
        await twice(
            lambda: ensure_registry_hosts(
                host, "docker.io", [MirrorEndpoint("https://m.invalid")], certs_dir=base
            )
        )
        await twice(
            lambda: ensure_docker_daemon_json(host, DockerSettings(), path=f"{base}/d.json")
        )
        await twice(lambda: ensure_crictl_yaml(host, CrictlSettings(), path=f"{base}/crictl.yaml"))
        if await host.test("command -v containerd"):
            check = await host.run(f"containerd --config {base}/c.toml config dump", check=False)
            assert check.ok, check.stderr
    finally:
        await ensure_absent(host, base)
