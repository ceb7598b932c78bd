"""Kernel modules Kubernetes networking needs, loaded now and at every boot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.errors import CommandError
from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.kernel import MODULES_FILE, get_kernel_modules
from kubexm.step.base import register_step
from kubexm.step.os.base import CAP_SYS_MODULE, WarningEnsureStep, has_capability
from kubexm.util.shell import quote


def loadable_probe(modules: tuple[str, ...] | list[str]) -> str:
    """Print the modules ``modprobe`` can find for the running kernel (a dry run)."""
    names = " ".join(quote(m) for m in modules)
    return f'for m in {names}; do modprobe -n -q "$m" 2>/dev/null && echo "$m"; done; true'


@register_step
@dataclass(frozen=True)
class WriteKernelModules(WarningEnsureStep):
    """``/etc/modules-load.d/kubexm.conf`` lists ``modules`` and each is loaded or built in.

    ``check`` finds it done when the file matches and no loadable module is missing. A module
    the host cannot load (not shipped with its kernel, or no CAP_SYS_MODULE as in a
    container) is a warning, not a failure, and is not tried again on the next run.
    """

    name: ClassVar[str] = "os/write-kernel-modules"
    title: ClassVar[str] = "Write kernel modules"
    modules: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.title} ({', '.join(self.modules)})"

    async def ensure_noting(self, host: Host) -> tuple[OpResult, list[str]]:
        states = await get_kernel_modules(host, self.modules)
        absent = [m for m in self.modules if states[m] == "absent"]
        content = "".join(f"{m}\n" for m in self.modules)
        results = [await ensure_file(host, MODULES_FILE, content, mode=0o644)]
        if not absent:
            return combine(results), []

        loadable = await self._loadable(host, absent)
        skipped = [m for m in absent if m not in loadable]
        warnings = []
        if skipped:
            warnings.append(
                f"cannot load kernel module(s) {', '.join(skipped)} "
                "(not shipped with this kernel, or no permission as in a container); "
                f"they stay listed in {MODULES_FILE} for the next boot"
            )
        for module in loadable:
            results.append(await self._load(host, module, warnings))
        return combine(results), warnings

    @staticmethod
    async def _loadable(host: Host, absent: list[str]) -> list[str]:
        if not await has_capability(host, CAP_SYS_MODULE):
            return []
        found = (await host.run(loadable_probe(absent), check=False)).stdout.split()
        return [m for m in absent if m in found]

    @staticmethod
    async def _load(host: Host, module: str, warnings: list[str]) -> OpResult:
        try:
            return await host.execute(f"load module {module}", f"modprobe {quote(module)}")
        except CommandError as exc:
            # modprobe -n found it, yet loading failed (signature, blacklist): report, go on.
            warnings.append(f"modprobe {module} failed: {exc.stderr.strip()}")
            return OpResult.unchanged(f"module {module} not loaded")
