"""kubectl and helm run on a host with an explicit kubeconfig.

``kubectl``/``helm`` with ``mutates=False`` are reads and always run; with ``mutates=True``
they pass the dry-run gate. ``ensure_manifest`` applies only when ``kubectl diff`` sees a
difference, so a second run is unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.runner.host import Host, OpResult
from kubexm.util.hashing import sha256_text
from kubexm.util.shell import join, quote

ADMIN_KUBECONFIG = "/etc/kubernetes/admin.conf"
_PATH = "PATH=$PATH:/usr/local/bin"


def _tool(binary: str, args: Sequence[str], kubeconfig: str) -> str:
    return f"{_PATH} {binary} --kubeconfig {quote(kubeconfig)} {join(args)}"


async def _invoke(
    host: Host, cmd: str, *, mutates: bool, what: str, timeout: float, stdin: str | None
) -> Result:
    if not mutates:
        return await host.run(cmd, timeout=timeout, stdin=stdin)
    results: list[Result] = []

    async def action() -> None:
        results.append(await host.run(cmd, timeout=timeout, stdin=stdin))

    await host.change(what, action)
    return results[0] if results else Result(0, "", "")


async def kubectl(
    host: Host,
    args: Sequence[str],
    *,
    kubeconfig: str = ADMIN_KUBECONFIG,
    mutates: bool = False,
    stdin: str | None = None,
    timeout: float = 120.0,
) -> Result:
    """Run ``kubectl --kubeconfig <kubeconfig> <args>`` on the host.

    With ``mutates`` the call passes the dry-run gate (in dry-run nothing runs and an empty
    successful ``Result`` comes back). Raises ``CommandError`` on a non-zero exit,
    ``CommandTimeout`` after ``timeout`` seconds.
    """
    cmd = _tool("kubectl", args, kubeconfig)
    what = f"kubectl {' '.join(args)}"
    return await _invoke(host, cmd, mutates=mutates, what=what, timeout=timeout, stdin=stdin)


async def helm(
    host: Host,
    args: Sequence[str],
    *,
    kubeconfig: str = ADMIN_KUBECONFIG,
    mutates: bool = False,
    timeout: float = 600.0,
) -> Result:
    """Run ``helm --kubeconfig <kubeconfig> <args>`` on the host; same rules as ``kubectl``."""
    cmd = _tool("helm", args, kubeconfig)
    what = f"helm {' '.join(args)}"
    return await _invoke(host, cmd, mutates=mutates, what=what, timeout=timeout, stdin=None)


_MISSING_NAMESPACE = re.compile(r'namespaces "[^"]+" not found')


def _namespace_missing(stderr: str) -> bool:
    """``kubectl diff`` dry-runs every object on the server, so an object in a namespace the
    same manifest creates fails with NotFound before anything exists: that is a difference,
    not an error (https://github.com/kubernetes/kubectl/issues/1081)."""
    return bool(_MISSING_NAMESPACE.search(stderr))


async def ensure_manifest(
    host: Host,
    manifest: str,
    *,
    kubeconfig: str = ADMIN_KUBECONFIG,
    name: str = "",
    timeout: float = 120.0,
) -> OpResult:
    """The objects in ``manifest`` (YAML) exist in the cluster as written.

    ``kubectl diff`` decides (exit 0 same, 1 differs); only then ``kubectl apply`` runs.
    Raises ``CommandError`` when diff or apply fails (exit >1: unreachable API server,
    invalid manifest).
    """
    label = name or f"manifest {sha256_text(manifest)[:12]}"
    diff_cmd = _tool("kubectl", ["diff", "-f", "-"], kubeconfig)
    diff = await host.run(diff_cmd, check=False, timeout=timeout, stdin=manifest)
    if diff.exit_status == 0:
        return OpResult.unchanged(f"{label} up to date")
    if diff.exit_status != 1 and not _namespace_missing(diff.stderr):
        raise CommandError(
            host.name,
            "kubectl diff -f -",
            diff.exit_status,
            diff.stdout,
            diff.stderr,
            hint=f"check that the API server answers with {kubeconfig} on {host.name}",
        )
    apply_cmd = _tool("kubectl", ["apply", "-f", "-"], kubeconfig)

    async def apply() -> None:
        await host.run(apply_cmd, timeout=timeout, stdin=manifest)

    return await host.change(f"apply {label}", apply)
