"""``kubexm preflight -f`` against lab hosts with planted problems: one run reports each of
them with its fix. Every plant is removed in ``finally`` (the lab is shared by the session).

What cannot be real in a container is faked where kubexm reads it: swap that would come back
after a reboot is a swap line in /etc/fstab; the clock offset is a ``date`` wrapper earlier in
root's PATH (the facts read the host clock with ``date +%s.%N``).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kubexm.cmd.preflight_cmd import preflight_command
from kubexm.lab import LabHost, RunningLab

pytestmark = pytest.mark.lab

MARK = "kubexm-preflight-plant"
DATE_WRAPPER = "/usr/local/bin/date"
PORT_UNIT = "kx-preflight-plant-port"
ETCD_PLANT = f"/var/lib/etcd/member/{MARK}"
# Ahead by five minutes only when asked for the seconds the facts read; else the real date.
WRAPPER = f"""#!/bin/sh
# {MARK}
if [ "$1" = "+%s.%N" ]; then echo "$(( $(/bin/date +%s) + 300 )).0"; else exec /bin/date "$@"; fi
"""


def _config(hosts: list[LabHost], path: Path) -> Path:
    names = [h.name for h in hosts]
    lines = ["apiVersion: kubexm.io/v1alpha1", "kind: Cluster", "metadata: {name: pf-lab}"]
    lines += ["spec:", "  global: {connectionTimeout: 10}", "  hosts:"]
    for h in hosts:
        lines.append(
            f"    - {{name: {h.name}, address: {h.address}, port: {h.port}, user: root,"
            f' privateKeyPath: "{h.root_key_path}"}}'
        )
    lines += ["  roleGroups:", f"    master: [{names[0]}]"]
    lines += [f"    worker: [{', '.join(names[1:])}]", "  etcd: {type: kubeadm}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def _out(lab: RunningLab, host: LabHost, command: str) -> str:
    return lab.ssh(host.name, command).stdout.strip()


def _plant(lab: RunningLab, hosts: list[LabHost], undo: list[tuple[LabHost, str]]) -> None:
    """Plant one problem per host and record how to undo each, newest last."""
    etcd, swap, twin, busy = hosts[0], hosts[1], hosts[2], hosts[3]
    lab.ssh(etcd.name, f"mkdir -p /var/lib/etcd/member && touch {ETCD_PLANT}")
    undo.append((etcd, f"rm -f {ETCD_PLANT}; rmdir /var/lib/etcd/member /var/lib/etcd || true"))

    lab.ssh(swap.name, f"echo '/swapfile none swap sw 0 0 # {MARK}' >> /etc/fstab")
    undo.append((swap, f"sed -i '/{MARK}/d' /etc/fstab"))

    original = _out(lab, twin, "hostname")
    lab.ssh(twin.name, f"hostname {_out(lab, swap, 'hostname')}")
    undo.append((twin, f"hostname {original}"))

    assert _out(lab, busy, f"test -e {DATE_WRAPPER} && echo taken || true") == ""
    lab.ssh(busy.name, f"cat > {DATE_WRAPPER} && chmod 755 {DATE_WRAPPER}", stdin=WRAPPER)
    undo.append((busy, f"grep -q {MARK} {DATE_WRAPPER} && rm -f {DATE_WRAPPER}"))
    lab.ssh(
        busy.name,
        f"systemd-run --unit {PORT_UNIT} --collect python3 -m http.server 10250 && "
        "for i in $(seq 50); do ss -ltnH | grep -q ':10250 ' && exit 0; sleep 0.1; done; exit 1",
    )
    undo.append((busy, f"systemctl stop {PORT_UNIT}"))


def _preflight(config: Path, work: Path) -> tuple[int, str]:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test-local root: ``main`` registers the real command the same way."""

    app.command("preflight")(preflight_command)
    result = CliRunner().invoke(app, ["preflight", "-f", str(config), "--work-dir", str(work)])
    return result.exit_code, result.output


def test_preflight_reports_every_planted_problem_in_one_run(
    lab: RunningLab, tmp_path: Path
) -> None:
    if len(lab.hosts) < 4:
        pytest.skip("needs four lab hosts")
    hosts = lab.hosts[:4]
    etcd, swap, twin, busy = hosts
    undo: list[tuple[LabHost, str]] = []
    try:
        _plant(lab, hosts, undo)
        started = time.monotonic()
        code, out = _preflight(_config(hosts, tmp_path / "cluster.yaml"), tmp_path)
        seconds = time.monotonic() - started
    finally:
        for host, command in reversed(undo):
            lab.ssh(host.name, command, check=False)
    print(f"\npreflight on {len(hosts)} lab hosts: {seconds:.2f}s\n{out}")
    assert code == 1
    assert f"error: [{etcd.name}] leftovers: an earlier install left /var/lib/etcd" in out
    assert "(fix: kubexm delete cluster" in out
    assert f"warning: [{swap.name}] swap: swap is off and /etc/fstab would turn it on" in out
    assert f"error: [{twin.name}] hostname-unique: hostname '{swap.name}' is also used by" in out
    assert f"error: [{swap.name}] hostname-unique:" in out
    assert f"error: [{busy.name}] ports: ports in use: 10250 (python3)" in out
    assert f"error: [{busy.name}] clock: clock is" in out and "ahead of this machine" in out
    assert "(fix: sync the clocks with NTP" in out
    # Cleaned up: nothing of the plants is left on the hosts.
    assert _out(lab, swap, f"grep -c {MARK} /etc/fstab || true") == "0"
    assert _out(lab, twin, "hostname") == twin.name
    assert _out(lab, busy, f"test -e {DATE_WRAPPER} || echo gone") == "gone"
