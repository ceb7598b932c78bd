"""WriteKernelModules: loaded and listed for boot; unloadable modules are warnings."""

from __future__ import annotations

import logging
import shlex

import pytest
from fakeconn import FakeConnection, FakeKernel
from stepctx import Ctx, converge

from kubexm.connector.base import Result
from kubexm.runner.kernel import MODULES_FILE
from kubexm.step.os.base import CAP_SYS_MODULE
from kubexm.step.os.write_kernel_modules import WriteKernelModules, loadable_probe


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def _fake(kernel: FakeKernel, caps: int) -> FakeConnection:
    fake = FakeConnection()
    kernel.install(fake)
    fake.script("CapEff", Result(0, f"{caps:016x}\n", ""))

    def dry_modprobe(cmd: str, f: FakeConnection) -> Result:
        names = shlex.split(cmd.split("for m in ", 1)[1].split("; do", 1)[0])
        return Result(0, "".join(f"{m}\n" for m in names if m in kernel.available), "")

    fake.script("modprobe -n", dry_modprobe)
    return fake


def test_loadable_probe_dry_runs_modprobe_for_each_module() -> None:
    assert 'modprobe -n -q "$m"' in loadable_probe(["ip_vs", "overlay"])


async def test_write_kernel_modules_loads_missing_and_persists_then_changes_nothing() -> None:
    kernel = FakeKernel(builtin={"overlay"}, available={"br_netfilter"})
    fake = _fake(kernel, 1 << CAP_SYS_MODULE)
    step = WriteKernelModules(("overlay", "br_netfilter"))

    await converge(step, Ctx(fake))
    assert kernel.loaded == {"br_netfilter"}
    assert fake.text(MODULES_FILE) == "overlay\nbr_netfilter\n"
    assert "overlay, br_netfilter" in step.describe()


async def test_write_kernel_modules_warns_without_cap_sys_module_and_stays_done(
    caplog: pytest.LogCaptureFixture,
) -> None:
    kernel = FakeKernel(available={"ip_vs"})
    fake = _fake(kernel, 0)
    ctx = Ctx(fake)

    with caplog.at_level(logging.WARNING):
        await converge(WriteKernelModules(("ip_vs",)), ctx)
    assert kernel.loaded == set()
    assert any("cannot load kernel module(s) ip_vs" in w for w in warnings_of(caplog))


async def test_write_kernel_modules_warns_when_modprobe_fails_after_dry_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    kernel = FakeKernel()
    fake = _fake(kernel, 1 << CAP_SYS_MODULE)
    fake.script("modprobe -n", Result(0, "ip_vs\n", ""))
    fake.rules.insert(0, fake.rules.pop())  # answer the dry run before the default rule

    with caplog.at_level(logging.WARNING):
        await WriteKernelModules(("ip_vs",)).run(Ctx(fake))
    assert any("modprobe ip_vs failed" in w for w in warnings_of(caplog))
