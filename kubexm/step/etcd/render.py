"""What a kubexm-managed etcd member reads: its env file, unit, etcdctl wrapper, backup files.

The member is configured through ``ETCD_<FLAG>`` variables in one env file
(``/etc/etcd.env``), read by the unit with ``EnvironmentFile=``; every etcd release since 3.0
maps them onto its flags, so one file format serves every version. Flags that exist only in
some minors come from ``VERSIONED_FLAGS``: a flag is never passed to a version that lacks it
(etcd refuses unknown flags and only warns on unknown variables, which would hide mistakes).

Rendering is pure: values in, text out, so golden files pin every version's output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

import jinja2

from kubexm.apis.v1alpha1.etcd import EtcdBackup, EtcdCluster, EtcdPerformance
from kubexm.common.paths import ETCD_ENV_FILE, ETCD_PKI
from kubexm.errors import KubexmError
from kubexm.util.hashing import sha256_text
from kubexm.util.shell import quote
from kubexm.util.version import parse_version

BIN_DIR = "/usr/local/bin"
UNIT_NAME = "etcd.service"
JOIN_ENV_FILE = "/etc/etcd.join.env"
ETCDCTL_WRAPPER = f"{BIN_DIR}/etcdctl.sh"
BACKUP_SERVICE = "etcd-backup.service"
BACKUP_TIMER = "etcd-backup.timer"
CA_CRT = f"{ETCD_PKI}/ca.crt"
CLIENT_CRT = f"{ETCD_PKI}/healthcheck-client.crt"
CLIENT_KEY = f"{ETCD_PKI}/healthcheck-client.key"

#: flag -> (first minor of 3.x that has it, first minor that no longer takes it or None).
#: 3.4 still defaults to the capnslog logger (removed in 3.5); the initial corruption check
#: moved from an experimental flag to a feature gate in 3.6.
VERSIONED_FLAGS: Mapping[str, tuple[tuple[int, int | None], str]] = {
    "logger": ((4, 5), "zap"),
    "experimental-initial-corrupt-check": ((4, 6), "true"),
    "feature-gates": ((6, None), "InitialCorruptCheck=true"),
}


@dataclass(frozen=True)
class Member:
    """One etcd member: its name (the host name) and the address peers and clients use."""

    name: str
    ip: str

    def url(self, port: int) -> str:
        host = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"https://{host}:{port}"


def etcd_minor(version: str) -> int:
    """The 3.x minor of ``version`` (``3.5.21`` -> 5); raises KubexmError for other majors."""
    parsed = parse_version(version)
    if parsed.major != 3:
        raise KubexmError(
            f"etcd version {version} is not supported",
            hint="set spec.etcd.version to a 3.4, 3.5 or 3.6 release",
        )
    return parsed.minor


def versioned_flags(version: str) -> dict[str, str]:
    """The flags of ``VERSIONED_FLAGS`` that etcd ``version`` knows, with their values."""
    minor = etcd_minor(version)
    return {
        flag: value
        for flag, ((first, last), value) in VERSIONED_FLAGS.items()
        if minor >= first and (last is None or minor < last)
    }


def _tls_flags() -> dict[str, str]:
    return {
        "client-cert-auth": "true",
        "peer-client-cert-auth": "true",
        "auto-tls": "false",
        "peer-auto-tls": "false",
        "trusted-ca-file": CA_CRT,
        "cert-file": f"{ETCD_PKI}/server.crt",
        "key-file": f"{ETCD_PKI}/server.key",
        "peer-trusted-ca-file": CA_CRT,
        "peer-cert-file": f"{ETCD_PKI}/peer.crt",
        "peer-key-file": f"{ETCD_PKI}/peer.key",
    }


def _performance_flags(perf: EtcdPerformance) -> dict[str, str]:
    return {
        "snapshot-count": str(perf.snapshot_count),
        "quota-backend-bytes": str(perf.quota_backend_bytes),
        "heartbeat-interval": str(perf.heartbeat_interval_millis),
        "election-timeout": str(perf.election_timeout_millis),
        "auto-compaction-retention": str(perf.auto_compaction_retention),
        "max-request-bytes": str(perf.max_request_bytes),
        "max-snapshots": str(perf.max_snapshots),
        "max-wals": str(perf.max_wals),
        "log-level": perf.log_level,
        "metrics": perf.metrics,
    }


def etcd_flags(
    me: Member,
    members: Sequence[Member],
    cluster: EtcdCluster,
    perf: EtcdPerformance,
    version: str,
) -> dict[str, str]:
    """Every flag of member ``me`` (without ``--``) for etcd ``version``.

    ``initial-cluster*`` only matter on the first start with an empty data dir; a member
    that joins later gets them overridden by the join env file.
    """
    client, peer = cluster.client_port, cluster.peer_port
    loopback = Member("localhost", "127.0.0.1")
    flags = {
        "name": me.name,
        "data-dir": cluster.data_dir,
        "listen-client-urls": f"{me.url(client)},{loopback.url(client)}",
        "advertise-client-urls": me.url(client),
        "listen-peer-urls": me.url(peer),
        "initial-advertise-peer-urls": me.url(peer),
        "initial-cluster": ",".join(f"{m.name}={m.url(peer)}" for m in members),
        "initial-cluster-state": "new",
        "initial-cluster-token": cluster.cluster_token,
        **_tls_flags(),
        **_performance_flags(perf),
        **versioned_flags(version),
    }
    flags.update(cluster.extra_args)
    return flags


def env_name(flag: str) -> str:
    """``max-request-bytes`` -> ``ETCD_MAX_REQUEST_BYTES``."""
    return "ETCD_" + flag.removeprefix("--").replace("-", "_").upper()


def _template(name: str) -> jinja2.Template:
    source = resources.files("kubexm").joinpath(f"templates/etcd/{name}").read_text("utf-8")
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    return env.from_string(source)


def render(template: str, **values: object) -> str:
    """Render ``templates/etcd/<template>`` with ``values`` (StrictUndefined).

    Raises ``KubexmError`` when a value is missing (a kubexm bug, never a user error).
    """
    try:
        return _template(template).render(**values)
    except jinja2.TemplateError as exc:
        raise KubexmError(
            f"cannot render etcd template {template}: {exc}",
            hint="a kubexm bug: report it with the config that triggered it",
        ) from exc


def render_env(me: Member, flags: Mapping[str, str], version: str) -> str:
    """The env file of member ``me``: one ``ETCD_<FLAG>=value`` line per flag."""
    env = [(env_name(flag), value) for flag, value in flags.items()]
    return render("etcd.env.j2", name=me.name, version=version, env=env)


def render_unit() -> str:
    """The systemd unit: Type=notify, restarted always, configured by the env files."""
    return render(
        "etcd.service.j2", env_file=ETCD_ENV_FILE, join_env_file=JOIN_ENV_FILE, bin_dir=BIN_DIR
    )


def render_wrapper(client_port: int) -> str:
    """``etcdctl.sh``: etcdctl on the local member with the health-check client cert."""
    return render(
        "etcdctl.sh.j2",
        bin_dir=BIN_DIR,
        endpoint=Member("localhost", "127.0.0.1").url(client_port),
        ca=CA_CRT,
        cert=CLIENT_CRT,
        key=CLIENT_KEY,
    )


def render_backup(backup: EtcdBackup) -> tuple[str, str, str]:
    """The backup script, its oneshot service and its timer."""
    script = render(
        "etcd-backup.sh.j2", dir=quote(backup.dir), keep=backup.keep_number, etcdctl=ETCDCTL_WRAPPER
    )
    service = render("etcd-backup.service.j2", script=backup.script_path)
    timer = render("etcd-backup.timer.j2", hours=backup.period_hours)
    return script, service, timer


def settings_digest(env: str, unit: str) -> str:
    """A digest of what a running member must be restarted for.

    ``ETCD_INITIAL_*`` lines are left out: etcd reads them only when its data dir is empty,
    so extending the initial cluster (a member joins) must not restart the others.
    """
    kept = [line for line in env.splitlines() if not line.startswith("ETCD_INITIAL_")]
    return sha256_text("\n".join(kept) + "\0" + unit)
