"""The cluster's work directory on the machine running kubexm (ARCHITECTURE §5)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.errors import KubexmError

DEFAULT_BASE = ".kubexm"
# Keys, kubeconfigs and the resolved config (with passwords) live below the root.
PRIVATE_DIR_MODE = 0o700


@dataclass(frozen=True)
class WorkDir:
    """Paths under ``root`` (``<workDir>/<cluster>/``); building one touches nothing on disk.

    ``artifacts_dir`` replaces ``<root>/artifacts`` for one run: a dry run from a bundle reads
    a temporary view of it, so the artifact cache is not written.
    """

    root: Path
    artifacts_dir: Path | None = None

    @property
    def config(self) -> Path:
        """The resolved config of the last successful run."""
        return self.root / "config.yaml"

    @property
    def state_db(self) -> Path:
        return self.root / "state.db"

    @property
    def lock(self) -> Path:
        return self.root / "lock"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def artifacts(self) -> Path:
        return self.artifacts_dir or self.root / "artifacts"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def ensure(self) -> WorkDir:
        """Create the root (mode 0700, tightened when it exists) and return self.

        Raises ``KubexmError`` when the directory cannot be created or its mode not set.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
            os.chmod(self.root, PRIVATE_DIR_MODE)
        except OSError as exc:
            raise KubexmError(
                f"cannot create the work directory {self.root}: {exc.strerror}",
                "choose a writable place with --work-dir or spec.global.workDir",
            ) from exc
        return self


def work_dir_for(cluster: Cluster, base: str | Path | None = None) -> WorkDir:
    """The work dir of ``cluster``: ``<base>/<name>``, where ``base`` is the ``--work-dir``
    flag when given, else ``spec.global.workDir``, else ``./.kubexm`` (made absolute).
    """
    chosen = base if base is not None else cluster.spec.global_.work_dir
    parent = Path(chosen).expanduser() if chosen else Path(DEFAULT_BASE)
    return WorkDir((parent / cluster.name).absolute())
