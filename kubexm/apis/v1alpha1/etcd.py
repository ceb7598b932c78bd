"""``spec.etcd``: a union discriminated by ``type`` (kubexm | kubeadm | external)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Discriminator, Field, Tag

from kubexm.common import paths, ports
from kubexm.common import types as t

from .base import KxModel, check_abs_path, normalise

Port = Annotated[int, Field(ge=ports.PORT_MIN, le=ports.PORT_MAX)]
Positive = Annotated[int, Field(gt=0)]
NonNegative = Annotated[int, Field(ge=0)]
EtcdType = BeforeValidator(lambda v: normalise(v, t.ETCD_ALIASES))


class EtcdCluster(KxModel):
    """Member settings of a kubexm-deployed etcd."""

    client_port: Port = ports.ETCD_CLIENT
    peer_port: Port = ports.ETCD_PEER
    data_dir: Annotated[str, AfterValidator(check_abs_path)] = paths.ETCD_DATA_DIR
    cluster_token: Annotated[str, Field(min_length=1)] = "kubexm-etcd-default-token"
    extra_args: dict[str, str] = Field(default_factory=dict)


class EtcdBackup(KxModel):
    """Periodic snapshots on each member."""

    dir: Annotated[str, AfterValidator(check_abs_path)] = paths.ETCD_BACKUP_DIR
    period_hours: NonNegative = 24
    keep_number: NonNegative = 7
    script_path: Annotated[str, AfterValidator(check_abs_path)] = paths.ETCD_BACKUP_SCRIPT


class EtcdPerformance(KxModel):
    """Tuning flags of a kubexm-deployed etcd."""

    heartbeat_interval_millis: Positive = 250
    election_timeout_millis: Positive = 5000
    snapshot_count: Positive = 10000
    auto_compaction_retention: NonNegative = 8
    quota_backend_bytes: NonNegative = 2 * 1024**3
    max_request_bytes: Positive = 1572864
    max_snapshots: Positive = 5
    max_wals: Positive = 5
    metrics: Literal["basic", "extensive"] = "basic"
    log_level: Literal["debug", "info", "warn", "error", "panic", "fatal"] = "info"


class ExternalEtcdEndpoints(KxModel):
    """An existing etcd cluster. Without TLS the three files may be omitted."""

    endpoints: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None


class KubexmEtcd(KxModel):
    """Binary etcd under systemd on the ``etcd`` role hosts (the default)."""

    type: Annotated[Literal["kubexm"], EtcdType] = "kubexm"
    version: str | None = None
    cluster: EtcdCluster = Field(default_factory=EtcdCluster)
    backup: EtcdBackup = Field(default_factory=EtcdBackup)
    performance: EtcdPerformance = Field(default_factory=EtcdPerformance)


class KubeadmEtcd(KxModel):
    """Stacked etcd created by kubeadm as static pods on the masters."""

    type: Annotated[Literal["kubeadm"], EtcdType]
    version: str | None = None


class ExternalEtcd(KxModel):
    """An etcd cluster kubexm does not manage (``exists`` is accepted for ``external``)."""

    type: Annotated[Literal["external"], EtcdType]
    version: str | None = None
    external: ExternalEtcdEndpoints


def etcd_tag(value: Any) -> str | None:
    """The discriminator: the canonical ``type``, ``kubexm`` when it is not set."""
    if isinstance(value, dict):
        raw = value.get("type")
        return str(normalise(raw, t.ETCD_ALIASES)) if raw is not None else t.ETCD_KUBEXM
    return getattr(value, "type", None)


EtcdSpec = Annotated[
    Annotated[KubexmEtcd, Tag(t.ETCD_KUBEXM)]
    | Annotated[KubeadmEtcd, Tag(t.ETCD_KUBEADM)]
    | Annotated[ExternalEtcd, Tag(t.ETCD_EXTERNAL)],
    Discriminator(etcd_tag),
]


def default_etcd() -> KubexmEtcd:
    """The etcd of a config that names none."""
    return KubexmEtcd()
