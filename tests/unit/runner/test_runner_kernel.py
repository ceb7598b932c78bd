from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fakeconn import OK, FakeConnection, FakeKernel, assert_idempotent

from kubexm.connector.base import Result
from kubexm.errors import CommandError, KubexmError
from kubexm.runner.host import Host
from kubexm.runner.kernel import (
    SYSCTL_FILE,
    SysctlValue,
    ensure_kernel_modules,
    ensure_swap_off,
    ensure_sysctl,
    get_kernel_modules,
    get_swap_state,
    get_sysctl,
    modules_probe,
    parse_sysctl_probe,
    sysctl_probe,
)

VALUES: dict[str, str | int] = {
    "net.ipv4.ip_forward": 1,
    "net.ipv4.ip_local_port_range": "32768 60999",
}


@pytest.fixture
def kernel(fake: FakeConnection) -> FakeKernel:
    return FakeKernel(
        sysctl={
            "net.ipv4.ip_forward": "0",
            "net.ipv4.ip_local_port_range": "1024\t65000",
            "vm.swappiness": "60",
        },
        read_only={"vm.swappiness"},
        available={"br_netfilter", "overlay"},
        builtin={"ip_vs"},
    ).install(fake)


def test_parse_sysctl_probe_normalises_whitespace() -> None:
    parsed = parse_sysctl_probe("a.b rw 1\t2  3\nc.d missing\ne.f ro 0\n")
    assert parsed == {
        "a.b": SysctlValue("a.b", "rw", "1 2 3"),
        "c.d": SysctlValue("c.d", "missing", ""),
        "e.f": SysctlValue("e.f", "ro", "0"),
    }


@pytest.mark.parametrize("script", [sysctl_probe(["a.b", "c"]), modules_probe(["x", "y-z"])])
def test_probes_are_valid_posix_shell(script: str) -> None:
    assert subprocess.run(["sh", "-n", "-c", script], check=False).returncode == 0


def test_sysctl_probe_reads_the_local_kernel() -> None:
    out = subprocess.run(
        ["sh", "-c", sysctl_probe(["kernel.ostype", "no.such.key"])],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    parsed = parse_sysctl_probe(out.stdout)
    assert parsed["kernel.ostype"].value == "Linux"
    assert parsed["no.such.key"].state == "missing"


async def test_get_sysctl_reads_current_values(host: Host, kernel: FakeKernel) -> None:
    values = await get_sysctl(host, ["net.ipv4.ip_forward", "vm.swappiness"])
    assert values["vm.swappiness"] == SysctlValue("vm.swappiness", "ro", "60")


async def test_ensure_sysctl_persists_and_applies_then_is_unchanged(
    fake: FakeConnection, kernel: FakeKernel
) -> None:
    lines = await assert_idempotent(
        fake, lambda h: ensure_sysctl(h, VALUES), state=lambda: kernel.sysctl
    )
    assert lines == [
        f"[node1] would write {SYSCTL_FILE}",
        "[node1] would set sysctl net.ipv4.ip_forward, net.ipv4.ip_local_port_range",
    ]
    assert fake.text(SYSCTL_FILE) == (
        "net.ipv4.ip_forward = 1\nnet.ipv4.ip_local_port_range = 32768 60999\n"
    )
    assert kernel.sysctl["net.ipv4.ip_forward"] == "1"


async def test_ensure_sysctl_refuses_read_only_key_by_default(
    host: Host, fake: FakeConnection, kernel: FakeKernel
) -> None:
    with pytest.raises(KubexmError, match=r"refuses sysctl vm\.swappiness"):
        await ensure_sysctl(host, {"vm.swappiness": 0})
    assert SYSCTL_FILE not in fake.files


async def test_ensure_sysctl_tolerates_refused_keys_when_asked(
    fake: FakeConnection, kernel: FakeKernel
) -> None:
    wanted = {"net.ipv4.ip_forward": 1, "vm.swappiness": 0, "net.bridge.bridge-nf-call-iptables": 1}
    await assert_idempotent(
        fake,
        lambda h: ensure_sysctl(h, wanted, tolerate_refused=True),
        state=lambda: kernel.sysctl,
    )
    result = await ensure_sysctl(Host(fake), wanted, tolerate_refused=True)
    assert result.detail.endswith(
        "kernel refused: net.bridge.bridge-nf-call-iptables, vm.swappiness"
    )
    assert "vm.swappiness = 0" in fake.text(SYSCTL_FILE)
    assert kernel.sysctl["vm.swappiness"] == "60"


async def test_get_kernel_modules_reports_each_state(host: Host, kernel: FakeKernel) -> None:
    kernel.loaded.add("overlay")
    states = await get_kernel_modules(host, ["overlay", "ip_vs", "br_netfilter"])
    assert states == {"overlay": "loaded", "ip_vs": "builtin", "br_netfilter": "absent"}


async def test_ensure_kernel_modules_loads_and_persists(
    fake: FakeConnection, kernel: FakeKernel
) -> None:
    modules = ["br_netfilter", "overlay", "ip_vs"]
    lines = await assert_idempotent(
        fake, lambda h: ensure_kernel_modules(h, modules), state=lambda: kernel.loaded
    )
    assert lines[1] == "[node1] would load modules br_netfilter, overlay"
    assert kernel.loaded == {"br_netfilter", "overlay"}
    assert fake.text("/etc/modules-load.d/kubexm.conf") == "br_netfilter\noverlay\nip_vs\n"
    assert not any("modprobe ip_vs" in c for c in fake.ran)


async def test_ensure_kernel_modules_raises_for_unknown_module(
    host: Host, kernel: FakeKernel
) -> None:
    with pytest.raises(CommandError, match="not found"):
        await ensure_kernel_modules(host, ["nosuchmod"])


class SwapFake:
    def __init__(self, fake: FakeConnection, active: bool, in_fstab: bool) -> None:
        self.active, self.in_fstab = active, in_fstab
        self.commands: list[str] = []
        fake.script("/proc/swaps", self.probe)
        fake.script("swapoff -a", self.swapoff)
        fake.script("sed -i -E", self.comment)

    def probe(self, cmd: str, fake: FakeConnection) -> Result:
        out = ("active\n" if self.active else "") + ("fstab\n" if self.in_fstab else "")
        return Result(0, out, "")

    def swapoff(self, cmd: str, fake: FakeConnection) -> Result:
        self.active = False
        return OK

    def comment(self, cmd: str, fake: FakeConnection) -> Result:
        self.commands.append(cmd)
        self.in_fstab = False
        return OK


@pytest.mark.parametrize(
    ("active", "in_fstab", "records"),
    [(True, True, 2), (True, False, 1), (False, True, 1)],
    ids=["both", "active-only", "fstab-only"],
)
async def test_ensure_swap_off_then_unchanged(
    fake: FakeConnection, active: bool, in_fstab: bool, records: int
) -> None:
    swap = SwapFake(fake, active, in_fstab)
    lines = await assert_idempotent(
        fake, ensure_swap_off, state=lambda: (swap.active, swap.in_fstab)
    )
    assert len(lines) == records
    assert await get_swap_state(Host(fake)) == (False, False)


async def test_swap_command_comments_only_swap_lines_and_keeps_backup(
    fake: FakeConnection, tmp_path: Path
) -> None:
    swap = SwapFake(fake, active=False, in_fstab=True)
    await ensure_swap_off(Host(fake))
    fstab = tmp_path / "fstab"
    original = "UUID=1 / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n# /old none swap sw 0 0\n"
    fstab.write_text(original)
    # Run the very command the runner sent, pointed at a scratch copy of fstab.
    command = swap.commands[0].replace("/etc/fstab", str(fstab))
    subprocess.run(["sh", "-c", command], check=True)
    assert fstab.read_text().splitlines() == [
        "UUID=1 / ext4 defaults 0 1",
        "#/swap.img none swap sw 0 0",
        "# /old none swap sw 0 0",
    ]
    assert (tmp_path / "fstab.kubexm.bak").read_text() == original


def test_modules_probe_reads_the_local_kernel() -> None:
    proc = Path("/proc/modules")
    loaded = proc.read_text().split("\n", 1)[0].split()[:1] if proc.exists() else []
    out = subprocess.run(
        ["sh", "-c", modules_probe([*loaded, "no_such_module_kx"])],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.splitlines() == [*(f"{m} loaded" for m in loaded), "no_such_module_kx absent"]


@pytest.mark.parametrize(
    "key",
    ["net.ipv4; reboot", "../etc/passwd", "", "a b"],
    ids=["injection", "dots", "empty", "space"],
)
async def test_ensure_sysctl_rejects_malformed_keys(
    host: Host, fake: FakeConnection, key: str
) -> None:
    with pytest.raises(KubexmError, match="invalid sysctl key"):
        await ensure_sysctl(host, {key: 1})
    assert fake.ran == []
