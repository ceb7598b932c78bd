"""``kubexm certs generate | check``: the cluster's local PKI in its work directory.

Certificates are made on the machine running kubexm (ARCHITECTURE §6) and pushed to hosts by
``create cluster``; these commands manage and inspect that local copy.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kubexm.cmd.output import load_config, print_json
from kubexm.cmd.state import OutputFormat, get_state
from kubexm.common.paths import KUBERNETES_PKI
from kubexm.engine import WorkDirLock
from kubexm.errors import KubexmError, UsageError
from kubexm.pki import PKIReport, ensure_pki, inventory, inventory_dicts, render_table
from kubexm.pki.fromconfig import plan_from_cluster
from kubexm.pki.generate import Action
from kubexm.pki.inventory import CertInfo, expected_for, problem_details
from kubexm.pki.model import KeyType
from kubexm.runtime.workdir import work_dir_for

certs_app = typer.Typer(help="Create and inspect the cluster's certificates.", no_args_is_help=True)

ConfigOpt = Annotated[str, typer.Option("--config", "-f", help="Cluster config file.")]
WorkDirOpt = Annotated[
    str | None,
    typer.Option(
        "--work-dir", help="Base of the work directory: <DIR>/<cluster> (default ./.kubexm)."
    ),
]


@certs_app.command("generate")
def generate(
    ctx: typer.Context,
    config: ConfigOpt,
    work_dir: WorkDirOpt = None,
    key_type: Annotated[
        str | None,
        typer.Option(
            "--key-type",
            help="Key algorithm of new keys: rsa (default) or ecdsa. Existing keys keep theirs"
            " unless --force is given too.",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace a missing or changed CA and re-sign its leaves; with --key-type,"
            " also replace existing keys of another type.",
        ),
    ] = False,
) -> None:
    """Create or bring up to date every CA, certificate and kubeconfig the config needs.

    Valid certificates are kept byte for byte; only what must change is re-issued.
    """
    state = get_state(ctx)
    if key_type not in (None, "rsa", "ecdsa"):
        raise UsageError(f"unknown key type {key_type!r}", "use --key-type rsa or ecdsa")
    kt: KeyType = "ecdsa" if key_type == "ecdsa" else "rsa"
    cluster = load_config(config).cluster
    wd = work_dir_for(cluster, work_dir).ensure()
    # Without an explicit --key-type existing keys are never touched: re-runs must not churn.
    plan = plan_from_cluster(cluster, key_type=kt, rekey=force and key_type is not None)
    # Two runs on one work dir would each make a CA; the second must wait its turn.
    with WorkDirLock(wd.root, "certs generate"):
        report = ensure_pki(plan, wd.pki, kubeconfig_dir=wd.kubeconfig, force=force)
    if state.output is OutputFormat.json:
        entries = [vars(entry) for entry in report.entries]
        print_json(
            {"ok": True, "pki": str(wd.pki), "entries": entries, "warnings": report.warnings}
        )
        return
    _print_report(report, str(wd.pki))


def _print_report(report: PKIReport, where: str) -> None:
    for warning in report.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    actions: tuple[Action, ...] = ("created", "reissued", "updated", "retired", "kept")
    counts = {action: len(report.names(action)) for action in actions}
    for entry in report.entries:
        if entry.action != "kept":
            reason = f" ({entry.reason})" if entry.reason else ""
            typer.echo(f"{entry.action:9} {entry.kind:10} {entry.name}{reason}")
    summary = ", ".join(f"{n} {action}" for action, n in counts.items())
    typer.echo(f"pki in {where}: {summary}")


@certs_app.command("check")
def check(
    ctx: typer.Context,
    config: ConfigOpt,
    work_dir: WorkDirOpt = None,
    warn_days: Annotated[
        int, typer.Option("--warn-days", min=1, help="Warn when fewer days are left.")
    ] = 30,
) -> None:
    """List every certificate and kubeconfig with its expiry and check that each can be used:
    present, signed by its CA, matching its key. Exit 1 when any cannot be used or expired."""
    state = get_state(ctx)
    cluster = load_config(config).cluster
    wd = work_dir_for(cluster, work_dir)
    expected = expected_for(plan_from_cluster(cluster))
    infos = inventory(wd.pki, wd.kubeconfig, expected=expected)
    if all(info.status() == "missing" for info in infos):
        raise KubexmError(
            f"no certificates in {wd.pki}",
            f"create them with: kubexm certs generate -f {config}",
        )
    failed = [info for info in infos if info.failed()]
    fixes = _fixes(failed, config)
    if state.output is OutputFormat.json:
        certificates = inventory_dicts(infos, warn_days)
        print_json({"ok": not failed, "certificates": certificates, "fixes": fixes})
        if failed:  # the object above is the whole answer: no second one for the error
            raise typer.Exit(1)
        return
    typer.echo(render_table(infos, warn_days))
    expiring = [info.name for info in infos if info.status(warn_days) == "warning"]
    if expiring:
        sys.stderr.write(
            f"warning: {len(expiring)} expire within {warn_days} days: {', '.join(expiring)}\n"
        )
    if failed:
        lines = "".join(f"\n  {problem_details(info)}" for info in failed)
        raise KubexmError(
            f"{len(failed)} of {len(infos)} certificates cannot be used:{lines}", "; ".join(fixes)
        )


def _fixes(failed: list[CertInfo], config: str) -> list[str]:
    """What to run for the problems found, the CA's own first (the rest follows from it)."""
    statuses = {(info.kind, status) for info in failed for status in info.statuses()}
    fixes = []
    ca_broken = any(
        status == "ca-missing" or (kind == "ca" and status not in ("missing", "warning"))
        for kind, status in statuses
    )
    if ca_broken:
        fixes.append(
            f"restore the CA's .crt and .key from a backup or a control-plane host"
            f" ({KUBERNETES_PKI}), or make a new CA and re-issue all it signs with"
            f" kubexm certs generate -f {config} --force (every host then needs the new files)"
        )
    if any(kind != "ca" and status == "wrong-ca" for kind, status in statuses):
        fixes.append(
            f"re-issue those signed by another CA with kubexm certs generate -f {config} --force"
            " and push them to every host, or restore the CA they were issued with"
        )
    if any(status in _GENERATE_FIXES for _, status in statuses) and not ca_broken:
        fixes.append(f"create or renew them with: kubexm certs generate -f {config}")
    return fixes


# Problems ``certs generate`` mends without --force (once the CAs are in order).
_GENERATE_FIXES = ("missing", "key-missing", "key-mismatch", "expired")
