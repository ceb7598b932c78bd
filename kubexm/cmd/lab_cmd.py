"""``kubexm lab up | down | status | ssh | config``: local disposable hosts (need root)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from kubexm.cmd.output import print_json
from kubexm.cmd.state import OutputFormat, get_state
from kubexm.errors import LabError
from kubexm.lab import (
    LabTopology,
    MachineLimits,
    bundle_versions,
    down,
    lab_cluster_yaml,
    load_state,
    status,
    up,
)
from kubexm.lab.cluster_config import LB_CHOICES
from kubexm.lab.hosts import ssh_argv
from kubexm.lab.layout import SUPPORTED_OS, LabState, Paths
from kubexm.lab.template import template_is_current

lab_app = typer.Typer(
    help="Local disposable hosts (systemd-nspawn) for trying kubexm and for its tests.",
    no_args_is_help=True,
)


def _state() -> LabState:
    state = load_state(Paths())
    if state is None:
        raise LabError("no lab is up", "run `kubexm lab up`")
    return state


@lab_app.command("up")
def lab_up(
    ctx: typer.Context,
    count: Annotated[int, typer.Argument(help="How many hosts.", min=1, max=50)] = 3,
    os_name: Annotated[
        str, typer.Option("--os", help=f"Debian release: {' or '.join(SUPPORTED_OS)}.")
    ] = "bookworm",
) -> None:
    """Start COUNT hosts (kxnode1.. at 10.77.0.11..) and wait until ssh works on each."""
    if os_name not in SUPPORTED_OS:
        raise LabError(
            f"unsupported lab OS {os_name!r}", f"choose one of {', '.join(SUPPORTED_OS)}"
        )
    if os.geteuid() == 0 and not template_is_current(Paths(), os_name):
        sys.stderr.write(f"building the {os_name} host template (first run, 1-2 minutes)...\n")
    result = up(count, os_name)
    if get_state(ctx).output is OutputFormat.json:
        print_json(
            {
                "ok": True,
                "hosts": [{"name": h.name, "address": h.address} for h in result.state.hosts],
                "template_seconds": round(result.template_seconds, 1),
                "ready_seconds": round(result.ready_seconds, 1),
            }
        )
        return
    if result.template_seconds:
        typer.echo(f"built the {os_name} template in {result.template_seconds:.0f} s")
    for host in result.state.hosts:
        typer.echo(f"{host.name}  {host.address}")
    typer.echo(f"{count} lab hosts ready in {result.ready_seconds:.1f} s")
    typer.echo("next: `kubexm lab config > cluster.yaml`, or `kubexm lab ssh kxnode1`")


@lab_app.command("down")
def lab_down() -> None:
    """Remove every lab host, the bridge and the mounts; keep the cached template."""
    seconds = down()
    typer.echo(f"lab is down ({seconds:.1f} s)")


@lab_app.command("status")
def lab_status(ctx: typer.Context) -> None:
    """Show each lab host: address, whether it runs, whether ssh answers."""
    rows = status()
    if get_state(ctx).output is OutputFormat.json:
        print_json(
            [
                {"name": r.name, "address": r.address, "running": r.running, "ssh": r.ssh}
                for r in rows
            ]
        )
        return
    if not rows:
        typer.echo("no lab is up")
        return
    typer.echo(f"{'NAME':<10} {'ADDRESS':<12} {'STATE':<8} SSH")
    for row in rows:
        state = "running" if row.running else "stopped"
        typer.echo(f"{row.name:<10} {row.address:<12} {state:<8} {'yes' if row.ssh else 'no'}")


@lab_app.command("ssh", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def lab_ssh(
    name: Annotated[str, typer.Argument(help="Host name, e.g. kxnode1.")],
    command: Annotated[
        list[str] | None, typer.Argument(help="Command to run instead of a shell.")
    ] = None,
    user: Annotated[str, typer.Option("--user", help="root or kxadmin.")] = "root",
) -> None:
    """Log into a lab host as root (or kxadmin) with the lab key."""
    host = _state().host(name)
    argv = ssh_argv(host, list(command or []), user=user)
    sys.stdout.flush()
    os.execvp(argv[0], argv)


@lab_app.command("config")
def lab_config(
    masters: Annotated[
        int, typer.Option("--masters", min=1, help="How many hosts are masters (and etcd).")
    ] = 1,
    lb_hosts: Annotated[
        int,
        typer.Option("--lb-hosts", min=0, help="How many hosts after the masters run the LB."),
    ] = 0,
    lb: Annotated[
        str,
        typer.Option("--lb", help=f"Control-plane load balancer: {', '.join(LB_CHOICES)}."),
    ] = "auto",
    kubernetes_type: Annotated[
        str, typer.Option("--type", help="Control plane: kubeadm or kubexm (binaries).")
    ] = "kubeadm",
    cni: Annotated[str, typer.Option("--cni", help="calico, flannel or cilium.")] = "calico",
    bundle: Annotated[
        Path | None,
        typer.Option("--bundle", help="Pin the versions this offline bundle carries."),
    ] = None,
    sudo_user: Annotated[
        bool,
        typer.Option(
            "--sudo-user",
            help="Log in as kxadmin: lab key, sudo password printed as sudoPassword.",
        ),
    ] = False,
) -> None:
    """Print a cluster config for the lab hosts: masters, then LB hosts, then workers."""
    topo = LabTopology(masters, lb_hosts, lb, kubernetes_type, sudo_user, cni)
    versions = bundle_versions(bundle) if bundle else {}
    limits = MachineLimits.detect(os.uname().release)
    sys.stdout.write(lab_cluster_yaml(_state(), topo, versions=versions, limits=limits))
