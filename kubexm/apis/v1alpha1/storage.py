"""``spec.storage``: storage providers and the default storage class."""

from __future__ import annotations

from pydantic import Field

from kubexm.common import paths

from .base import KxModel
from .sources import AddonSource


class Engine(KxModel):
    """An OpenEBS engine switch."""

    enabled: bool = False


class LocalHostpath(KxModel):
    """The OpenEBS local hostpath engine."""

    enabled: bool = True
    base_path: str = paths.OPENEBS_BASE_PATH


class OpenEBSEngines(KxModel):
    """OpenEBS engines; at least one must be enabled when OpenEBS is."""

    local_hostpath: LocalHostpath = Field(default_factory=LocalHostpath)
    mayastor: Engine = Field(default_factory=Engine)
    jiva: Engine = Field(default_factory=Engine)
    cstor: Engine = Field(default_factory=Engine)


class OpenEBS(KxModel):
    """OpenEBS (on by default with the local hostpath engine)."""

    enabled: bool = True
    version: str | None = None
    engines: OpenEBSEngines = Field(default_factory=OpenEBSEngines)
    sources: AddonSource | None = None


class NFS(KxModel):
    """NFS subdir provisioner; ``server`` and ``path`` are needed when enabled."""

    enabled: bool = False
    server: str | None = None
    path: str | None = None
    storage_class_name: str = "nfs-client"
    sources: AddonSource | None = None


class RookCeph(KxModel):
    """Rook-Ceph; exactly one of ``useAllDevices`` or ``devices``."""

    enabled: bool = False
    version: str | None = None
    devices: list[str] = Field(default_factory=list)
    use_all_devices: bool | None = None
    create_block_pool: bool = True
    create_filesystem: bool = True
    sources: AddonSource | None = None


class Longhorn(KxModel):
    """Longhorn."""

    enabled: bool = False
    version: str | None = None
    default_data_path: str = paths.LONGHORN_DATA_PATH
    purge_data_on_uninstall: bool = False
    sources: AddonSource | None = None


class StorageSpec(KxModel):
    """Storage providers."""

    default_storage_class: str | None = None
    openebs: OpenEBS = Field(default_factory=OpenEBS)
    nfs: NFS = Field(default_factory=NFS)
    rook_ceph: RookCeph = Field(default_factory=RookCeph)
    longhorn: Longhorn = Field(default_factory=Longhorn)

    def enabled_providers(self) -> list[str]:
        """Names of the providers that are enabled, in a fixed order."""
        flags = {
            "openebs": self.openebs.enabled,
            "nfs": self.nfs.enabled,
            "rook-ceph": self.rook_ceph.enabled,
            "longhorn": self.longhorn.enabled,
        }
        return [name for name, on in flags.items() if on]
