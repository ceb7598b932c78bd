"""Plans and a generated-PKI holder shared by the pki tests (imported by name)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kubexm.pki import certs
from kubexm.pki.generate import PKIReport
from kubexm.pki.model import Member, PKIPlan

MASTERS = (
    Member("m1", ("192.168.10.11",)),
    Member("m2", ("192.168.10.12", "fd00:10::12")),
)
ETCD = (Member("e1", ("192.168.10.21",)), Member("e2", ("192.168.10.22",)))
NODES = (
    Member("m1", ("192.168.10.11",)),
    Member("w1", ("192.168.10.31",), endpoint="https://127.0.0.1:6443"),
)


def make_plan(**overrides: object) -> PKIPlan:
    """A dual-stack HA plan; keyword arguments replace single fields."""
    values: dict[str, object] = {
        "cluster_name": "prod",
        "masters": MASTERS,
        "service_cidrs": ("10.96.0.0/12", "fd00:96::/108"),
        "endpoint_domain": "lb.kubexm.local",
        "endpoint_address": "192.168.10.100",
        "etcd": ETCD,
        "nodes": NODES,
        "cert_extra_sans": ("api.example.com", "203.0.113.7"),
        "key_type": "ecdsa",
    }
    values.update(overrides)
    return PKIPlan(**values)  # type: ignore[arg-type]  # overrides are loosely typed test input


class Generated:
    """A PKI generated once; ``copy`` gives a test its own writable copy."""

    def __init__(self, root: Path, plan: PKIPlan, report: PKIReport) -> None:
        self.root = root
        self.plan = plan
        self.report = report

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    def copy(self, dest: Path) -> Generated:
        shutil.copytree(self.root, dest / "work", symlinks=True)
        return Generated(dest / "work", self.plan, self.report)


def foreign_issuer(cn: str = "kubernetes") -> certs.Issuer:
    """A CA that is not the PKI's, named ``cn`` (the real CA's name by default)."""
    key = certs.generate_key("ecdsa")
    ca = certs.make_ca(cn, key, now=datetime.now(UTC), validity=timedelta(days=30))
    return certs.Issuer(ca, key)


def resign(crt: Path, issuer: certs.Issuer) -> bytes:
    """Re-issue the certificate at ``crt`` (same subject, SANs and key) from ``issuer``;
    returns the old PEM."""
    old = crt.read_bytes()
    key = certs.load_key(crt.with_suffix(".key").read_bytes(), "key")
    profile = certs.cert_profile(certs.load_cert(old, "cert"))
    cert = certs.issue(profile, key, issuer, now=datetime.now(UTC), validity=timedelta(days=9))
    crt.write_bytes(certs.cert_to_pem(cert))
    return old
