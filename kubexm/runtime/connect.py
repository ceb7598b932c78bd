"""From the config to the connector: per-host settings, host selection, one diagnosis.

The pool (``kubexm.connector.pool``) dials every host at once under a cap and records each
host's failure; this module turns the config into the connector's settings and the failures
into one error that names every unreachable host.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.connector.pool import HostSettings
from kubexm.connector.settings import LocalSettings, SSHSettings
from kubexm.errors import KubexmError

LOCAL_TYPE = "local"


def host_settings(
    cluster: Cluster, name: str, known_hosts: Path | None, *, accept_new_host_key: bool = False
) -> HostSettings:
    """The connector settings of host ``name``: SSH from ``cluster.ssh_for(name)`` (its own
    values, else ``spec.global``, including the connection timeout and the sudo password), or the
    local machine for hosts of ``type: local``. ``accept_new_host_key`` replaces a recorded host
    key that changed. Raises ``KeyError`` for a host not in the config.
    """
    host = cluster.host(name)
    creds = cluster.ssh_for(name)
    password = creds.password.get_secret_value() if creds.password else None
    sudo = creds.sudo_password.get_secret_value() if creds.sudo_password else None
    if host.type == LOCAL_TYPE:
        return LocalSettings(host_name=name, sudo_password=sudo or password)
    key_path = Path(creds.private_key_path).expanduser() if creds.private_key_path else None
    return SSHSettings(
        host_name=name,
        address=creds.address,
        port=creds.port,
        user=creds.user,
        password=password,
        private_key=creds.private_key.get_secret_value() if creds.private_key else None,
        private_key_path=key_path,
        sudo_password=sudo,
        connect_timeout=creds.timeout,
        known_hosts_path=known_hosts,
        accept_new_host_key=accept_new_host_key,
        key_field=creds.key_field,
    )


def select_hosts(cluster: Cluster, wanted: Iterable[str] | None) -> list[str]:
    """The host names to open, in config order: all of them, or those in ``wanted``.

    Raises ``KubexmError`` naming every host of ``wanted`` the config does not have.
    """
    names = [h.name for h in cluster.spec.hosts]
    if wanted is None:
        return names
    chosen = set(wanted)
    unknown = sorted(chosen.difference(names))
    if unknown:
        raise KubexmError(
            f"not in the config: {', '.join(unknown)}",
            f"use host names from spec.hosts ({', '.join(names) or 'none defined'})",
        )
    return [n for n in names if n in chosen]


def unreachable_error(
    failures: Mapping[str, Exception], total: int, what: str = "failed to connect"
) -> KubexmError:
    """One error for every host that failed: a line per host with its own diagnosis."""
    lines = [f"  {name}: {_reason(name, exc)}" for name, exc in sorted(failures.items())]
    noun = "host" if total == 1 else "hosts"
    return KubexmError(
        f"{len(failures)} of {total} {noun} {what}:\n" + "\n".join(lines),
        "fix each host listed (or remove it from the config) and run the command again",
    )


def _reason(name: str, exc: Exception) -> str:
    # Errors already say ``[host] ...``; the line names the host once.
    text = str(exc)
    prefix = f"[{name}] "
    return text[len(prefix) :] if text.startswith(prefix) else text
