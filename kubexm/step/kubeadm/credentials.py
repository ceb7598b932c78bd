"""How the per-run join token and certificate key travel from the first master to the others.

The engine runs every step in the kubexm process, so the credentials never touch a disk of
the control machine: the first master's steps put them into the run's pipeline cache (the
root of the host's cache chain, shared by every host of this run) and the join steps read
them there. They live only as long as the run, are never step inputs (so never in the state
store or a plan) and never logged. The token also expires on the cluster by itself
(``TOKEN_TTL``), and ``RemoveJoinToken`` deletes it once every node joined.

A later run makes fresh ones: the steps that create them are not resumable, and they make
them only when a node of the config is not in the cluster yet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kubexm.cache import ScopedCache
from kubexm.common.paths import ADMIN_CONF
from kubexm.errors import StepError
from kubexm.runner.host import Host
from kubexm.util.shell import join

TOKEN_KEY = "kubeadm/join-token"
CERT_KEY_KEY = "kubeadm/certificate-key"
#: Long enough for the serial master joins and the worker joins of one run.
TOKEN_TTL = "15m0s"
KUBEADM = "/usr/local/bin/kubeadm"
KUBECTL = "/usr/local/bin/kubectl"
KUBELET_CONF = "/etc/kubernetes/kubelet.conf"
_TOKEN = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")


def pipeline_cache(cache: ScopedCache) -> ScopedCache:
    """The outermost cache of ``cache``'s chain: the one every host of the run shares."""
    while cache.parent is not None:
        cache = cache.parent
    return cache


def parse_token(stdout: str) -> str:
    """The bootstrap token ``kubeadm token create`` printed (its last non-empty line).

    Raises ``StepError`` when there is none; the message never repeats the output.
    """
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    if not lines or not _TOKEN.match(lines[-1]):
        raise StepError(
            "kubeadm token create printed no bootstrap token",
            hint="run 'kubeadm token create --ttl 15m' on the first master to see why",
        )
    return lines[-1]


def token_id(token: str) -> str:
    """The public id (first six characters) of a token; safe to log and to put in argv."""
    return token.split(".", 1)[0]


def nodes_command(kubeconfig: str = ADMIN_CONF) -> str:
    """kubectl listing the cluster's node names, one per line."""
    return join([KUBECTL, f"--kubeconfig={kubeconfig}", "get", "nodes", "-o", "name"])


async def missing_nodes(host: Host, names: Sequence[str]) -> list[str]:
    """The ``names`` the cluster does not list as nodes yet, asked from ``host`` (a master).

    Every name counts as missing when ``admin.conf`` is not there or the apiserver does not
    answer: nothing is initialised yet, so everything is still to do.
    """
    if not await host.test(f"test -f {ADMIN_CONF}"):
        return list(names)
    result = await host.run(nodes_command(), check=False, timeout=30.0)
    if not result.ok:
        return list(names)
    listed = {line.strip().removeprefix("node/") for line in result.stdout.splitlines()}
    return [name for name in names if name not in listed]


def missing_credentials(host: str, what: str) -> StepError:
    """The error of a join that finds no credentials in the run's cache."""
    return StepError(
        f"{host} is not joined but this run made no {what} for it",
        hint=(
            "the cluster lists this node already although /etc/kubernetes/kubelet.conf is "
            f"missing on it: run 'kubectl delete node {host}' and 'kubeadm reset -f' on it, "
            "then run kubexm again"
        ),
    )
