"""Expiry inventory of a local PKI directory: every certificate and every kubeconfig.

``inventory`` reads files only; it never changes them. The table and the JSON-ready dicts are
what ``kubexm certs check`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography import x509

from kubexm.common.paths import KUBECONFIG_DIR
from kubexm.errors import PKIError
from kubexm.pki import certs
from kubexm.pki.kubeconfig import parse_kubeconfig
from kubexm.pki.retire import RETIRED_DIR
from kubexm.pki.store import read_bytes

DEFAULT_WARN_DAYS = 30
CertKind = Literal["ca", "leaf", "kubeconfig"]


@dataclass(frozen=True)
class CertInfo:
    """One certificate as the inventory reports it."""

    name: str
    path: Path
    subject: str
    issuer: str
    not_after: datetime
    days_left: int
    sans: tuple[str, ...]
    kind: CertKind

    def status(self, warn_days: int = DEFAULT_WARN_DAYS) -> str:
        """``expired``, ``warning`` (fewer than ``warn_days`` days left) or ``ok``."""
        if self.days_left < 0:
            return "expired"
        return "warning" if self.days_left < warn_days else "ok"


def inventory(
    pki_dir: Path, kubeconfig_dir: Path | None = None, *, now: datetime | None = None
) -> list[CertInfo]:
    """List every ``*.crt`` under ``pki_dir`` and the client cert of every kubeconfig.

    ``kubeconfig_dir`` defaults to ``pki_dir/../kubeconfig``; a missing directory contributes
    nothing. Raises ``PKIError`` when a file exists but cannot be parsed.
    """
    moment = now or datetime.now(UTC)
    confs = kubeconfig_dir or pki_dir.parent / KUBECONFIG_DIR
    infos = [_cert_info(path, pki_dir, moment) for path in _files(pki_dir, "*.crt")]
    for path in _files(confs, "*.conf"):
        info = _kubeconfig_info(path, moment)
        if info is not None:
            infos.append(info)
    return infos


def _files(directory: Path, pattern: str) -> list[Path]:
    """Matching files below ``directory``, leaving out hidden ones and the retired files
    of removed hosts (``retired/``), which no host uses any more."""
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.rglob(pattern)
        if not p.name.startswith(".") and p.relative_to(directory).parts[0] != RETIRED_DIR
    )


def _load(path: Path) -> bytes:
    data = read_bytes(path)
    if data is None:
        raise PKIError(f"{path} disappeared while it was read", "run the command again")
    return data


def _cert_info(path: Path, pki_dir: Path, now: datetime) -> CertInfo:
    cert = certs.load_cert(_load(path), str(path))
    name = path.relative_to(pki_dir).with_suffix("").as_posix()
    kind: CertKind = "ca" if certs.is_ca(cert) else "leaf"
    return _info(cert, name, path, kind, now)


def _kubeconfig_info(path: Path, now: datetime) -> CertInfo | None:
    data = parse_kubeconfig(_load(path), str(path))
    if data.cert_pem is None:
        # Token or file-reference credentials carry no certificate to report.
        return None
    cert = certs.load_cert(data.cert_pem, f"client certificate in {path}")
    return _info(cert, path.name, path, "kubeconfig", now)


def _info(cert: x509.Certificate, name: str, path: Path, kind: CertKind, now: datetime) -> CertInfo:
    not_after = cert.not_valid_after_utc
    return CertInfo(
        name=name,
        path=path,
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_after=not_after,
        days_left=(not_after - now).days,
        sans=tuple(sorted(certs.cert_sans(cert))),
        kind=kind,
    )


def inventory_dicts(
    infos: list[CertInfo], warn_days: int = DEFAULT_WARN_DAYS
) -> list[dict[str, Any]]:
    """JSON-ready dicts, one per certificate, with ``status`` per ``CertInfo.status``."""
    return [
        {
            "name": info.name,
            "kind": info.kind,
            "path": str(info.path),
            "subject": info.subject,
            "issuer": info.issuer,
            "not_after": info.not_after.isoformat(),
            "days_left": info.days_left,
            "sans": list(info.sans),
            "status": info.status(warn_days),
        }
        for info in infos
    ]


_COLUMNS = ("NAME", "KIND", "EXPIRES", "DAYS LEFT", "ISSUER", "STATUS")


def render_table(infos: list[CertInfo], warn_days: int = DEFAULT_WARN_DAYS) -> str:
    """A plain-text table sorted by time left, soonest first; status flags WARNING/EXPIRED."""
    rows = [
        (
            info.name,
            info.kind,
            f"{info.not_after:%Y-%m-%d %H:%M}",
            str(info.days_left),
            info.issuer,
            info.status(warn_days).upper(),
        )
        for info in sorted(infos, key=lambda i: (i.not_after, i.name))
    ]
    widths = [max(len(row[i]) for row in [_COLUMNS, *rows]) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        for row in [_COLUMNS, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)
