"""Inventory of a local PKI directory: every certificate and kubeconfig, checked for use.

``inventory`` reads files only; it never changes them. Beyond expiry it checks what a cluster
needs to work: every expected CA, leaf and kubeconfig present (``Expected``, from the plan),
every leaf and every kubeconfig's client certificate signed by its CA (signature and issuer
name), every key file and embedded key the private half of its certificate, and every
kubeconfig embedding the CA that signed its client certificate. The table and the JSON-ready
dicts are what ``kubexm certs check`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography import x509

from kubexm.common.paths import KUBECONFIG_DIR
from kubexm.errors import PKIError
from kubexm.pki import certs
from kubexm.pki.kubeconfig import KubeconfigData, kubeconfig_specs, parse_kubeconfig
from kubexm.pki.model import PKIPlan
from kubexm.pki.retire import RETIRED_DIR
from kubexm.pki.store import read_bytes
from kubexm.pki.table import cas_for, leaf_requests

DEFAULT_WARN_DAYS = 30
CertKind = Literal["ca", "leaf", "kubeconfig"]
# What makes a certificate unusable, most fundamental first: a row shows them in this order.
ProblemStatus = Literal[
    "missing", "ca-missing", "not-ca", "wrong-ca", "key-missing", "key-mismatch"
]


@dataclass(frozen=True)
class Problem:
    """One reason a certificate cannot be used as it is, with the detail of what is wrong."""

    status: ProblemStatus
    detail: str


@dataclass(frozen=True)
class CertInfo:
    """One certificate as the inventory reports it; a missing one has no dates or names."""

    name: str
    path: Path
    kind: CertKind
    subject: str = ""
    issuer: str = ""
    not_after: datetime | None = None
    days_left: int | None = None
    sans: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()

    def expiry(self, warn_days: int = DEFAULT_WARN_DAYS) -> str:
        """``expired``, ``warning`` (fewer than ``warn_days`` days left), ``ok``, or ``""``
        for a certificate that is missing."""
        if self.days_left is None:
            return ""
        if self.days_left < 0:
            return "expired"
        return "warning" if self.days_left < warn_days else "ok"

    def status(self, warn_days: int = DEFAULT_WARN_DAYS) -> str:
        """The first problem (``missing``, ``wrong-ca``...), else the expiry status."""
        return self.problems[0].status if self.problems else self.expiry(warn_days)

    def statuses(self, warn_days: int = DEFAULT_WARN_DAYS) -> list[str]:
        """Every problem, then ``expired`` or ``warning`` if so; ``["ok"]`` when all is well."""
        found: list[str] = list(dict.fromkeys(problem.status for problem in self.problems))
        if self.expiry(warn_days) not in ("", "ok") or not found:
            found.append(self.expiry(warn_days))
        return found

    def failed(self) -> bool:
        """Whether the certificate cannot be used: a problem, or expired."""
        return bool(self.problems) or self.expiry() == "expired"


@dataclass(frozen=True)
class Expected:
    """What must exist: CA names, leaf name → its CA, kubeconfig name → its client's CA."""

    cas: tuple[str, ...] = ()
    leaves: dict[str, str] = field(default_factory=dict)
    kubeconfigs: dict[str, str] = field(default_factory=dict)


def expected_for(plan: PKIPlan) -> Expected:
    """Every CA, leaf and kubeconfig ``ensure_pki`` makes for ``plan``, with their CAs."""
    leaves = {req.name: req.ca for req in leaf_requests(plan)}
    return Expected(
        cas=tuple(spec.name for spec in cas_for(plan)),
        leaves=leaves,
        kubeconfigs={spec.name: leaves[spec.leaf] for spec in kubeconfig_specs(plan)},
    )


def inventory(
    pki_dir: Path,
    kubeconfig_dir: Path | None = None,
    *,
    now: datetime | None = None,
    expected: Expected | None = None,
) -> list[CertInfo]:
    """List and check every ``*.crt`` under ``pki_dir`` and the client certificate of every
    kubeconfig, plus a ``missing`` row for each item of ``expected`` that does not exist.

    Without ``expected`` a certificate's CA is the one named by its issuer. ``kubeconfig_dir``
    defaults to ``pki_dir/../kubeconfig``; a missing directory contributes nothing. Raises
    ``PKIError`` when a certificate or kubeconfig exists but cannot be parsed.
    """
    check = _Check(pki_dir, now or datetime.now(UTC), expected or Expected())
    confs = kubeconfig_dir or pki_dir.parent / KUBECONFIG_DIR
    return check.certificates() + check.kubeconfigs(confs)


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


class _Check:
    """One inventory run: the certificates found, the CAs among them, what is expected."""

    def __init__(self, pki_dir: Path, now: datetime, expected: Expected) -> None:
        self.pki_dir = pki_dir
        self.now = now
        self.expected = expected
        self.found = {
            path.relative_to(pki_dir).with_suffix("").as_posix(): certs.load_cert(
                _load(path), str(path)
            )
            for path in _files(pki_dir, "*.crt")
        }
        self.cas = {
            name: cert
            for name, cert in self.found.items()
            if name in expected.cas or certs.is_ca(cert)
        }

    def certificates(self) -> list[CertInfo]:
        """A row per certificate found or expected under ``pki_dir``, by name."""
        names = set(self.found) | set(self.expected.cas) | set(self.expected.leaves)
        return [self._certificate(name) for name in sorted(names)]

    def _certificate(self, name: str) -> CertInfo:
        path = self.pki_dir / f"{name}.crt"
        cert = self.found.get(name)
        kind: CertKind = "ca" if name in self.cas or name in self.expected.cas else "leaf"
        if cert is None:
            return _missing(name, path, kind, f"{path.name} does not exist")
        problems: list[Problem] = []
        if kind == "ca" and not certs.is_ca(cert):
            problems.append(Problem("not-ca", "the certificate is not a CA (CA:FALSE)"))
        if kind == "leaf":
            problems += self._issuer(cert, self.expected.leaves.get(name))[1]
        key_path = path.with_suffix(".key")
        problems += _key_problems(cert, read_bytes(key_path), key_path.name)
        return _info(cert, name, path, kind, self.now, problems)

    def _issuer(self, cert: x509.Certificate, ca_name: str | None) -> tuple[str, list[Problem]]:
        """The CA that must have signed ``cert`` (``ca_name``, else the one its issuer names)
        and the problems with that: the CA is missing, or did not sign it."""
        if ca_name is None:
            ca_name = next((n for n, ca in self.cas.items() if ca.subject == cert.issuer), "")
            if not ca_name:
                issuer = cert.issuer.rfc4514_string()
                return "", [Problem("wrong-ca", f"issued by {issuer}, none of the CAs here")]
        ca = self.cas.get(ca_name)
        if ca is None:
            return ca_name, [Problem("ca-missing", f"cannot be verified: no {ca_name}.crt")]
        if not certs.signed_by(cert, ca):
            return ca_name, [Problem("wrong-ca", f"not signed by the CA in {ca_name}.crt")]
        return ca_name, []

    def kubeconfigs(self, directory: Path) -> list[CertInfo]:
        """A row per kubeconfig found (with an embedded client certificate) or expected."""
        paths = {path.name: path for path in _files(directory, "*.conf")}
        rows = []
        for name in sorted(set(paths) | set(self.expected.kubeconfigs)):
            if name not in paths:
                path = directory / name
                rows.append(_missing(name, path, "kubeconfig", f"{path.name} does not exist"))
                continue
            row = self._kubeconfig(name, paths[name])
            if row is not None:
                rows.append(row)
        return rows

    def _kubeconfig(self, name: str, path: Path) -> CertInfo | None:
        data = parse_kubeconfig(_load(path), str(path))
        if data.cert_pem is None:
            if name not in self.expected.kubeconfigs:
                # Token or file-reference credentials carry no certificate to report.
                return None
            return _missing(name, path, "kubeconfig", "it has no embedded client certificate")
        cert = certs.load_cert(data.cert_pem, f"client certificate in {path}")
        ca_name, problems = self._issuer(cert, self.expected.kubeconfigs.get(name))
        problems += self._embedded_ca(data, ca_name)
        problems += _key_problems(cert, data.key_pem, "the embedded client key")
        return _info(cert, name, path, "kubeconfig", self.now, problems)

    def _embedded_ca(self, data: KubeconfigData, ca_name: str) -> list[Problem]:
        """A client that trusts another CA than the one in the PKI cannot verify the server."""
        ca = self.cas.get(ca_name)
        if ca is None or _same_cert(data.ca_pem, ca):
            return []
        return [Problem("wrong-ca", f"its certificate-authority-data is not {ca_name}.crt")]


def _same_cert(pem: bytes, cert: x509.Certificate) -> bool:
    try:
        return certs.load_cert(pem, "certificate-authority-data") == cert
    except PKIError:
        return False


def _key_problems(cert: x509.Certificate, key_pem: bytes | None, where: str) -> list[Problem]:
    """The private key ``where`` must exist, be readable and belong to ``cert``."""
    if key_pem is None:
        return [Problem("key-missing", f"{where} does not exist")]
    try:
        key = certs.load_key(key_pem, where)
    except PKIError:
        return [Problem("key-mismatch", f"{where} is not a readable private key")]
    if not certs.key_matches(cert, key):
        return [Problem("key-mismatch", f"{where} does not belong to the certificate")]
    return []


def _missing(name: str, path: Path, kind: CertKind, detail: str) -> CertInfo:
    return CertInfo(name=name, path=path, kind=kind, problems=(Problem("missing", detail),))


def _info(
    cert: x509.Certificate,
    name: str,
    path: Path,
    kind: CertKind,
    now: datetime,
    problems: list[Problem],
) -> CertInfo:
    not_after = cert.not_valid_after_utc
    return CertInfo(
        name=name,
        path=path,
        kind=kind,
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_after=not_after,
        days_left=(not_after - now).days,
        sans=tuple(sorted(certs.cert_sans(cert))),
        problems=tuple(problems),
    )


def inventory_dicts(
    infos: list[CertInfo], warn_days: int = DEFAULT_WARN_DAYS
) -> list[dict[str, Any]]:
    """JSON-ready dicts, one per certificate: ``status`` per ``CertInfo.status`` and every
    problem with its detail; a missing certificate has null dates."""
    return [
        {
            "name": info.name,
            "kind": info.kind,
            "path": str(info.path),
            "subject": info.subject,
            "issuer": info.issuer,
            "not_after": info.not_after.isoformat() if info.not_after else None,
            "days_left": info.days_left,
            "sans": list(info.sans),
            "status": info.status(warn_days),
            "problems": [{"status": p.status, "detail": p.detail} for p in info.problems],
        }
        for info in infos
    ]


_COLUMNS = ("NAME", "KIND", "EXPIRES", "DAYS LEFT", "ISSUER", "STATUS")
_NEVER = datetime.min.replace(tzinfo=UTC)


def status_label(status: str) -> str:
    """``wrong-ca`` → ``WRONG CA``, as the table shows it."""
    return status.upper().replace("-", " ")


def render_table(infos: list[CertInfo], warn_days: int = DEFAULT_WARN_DAYS) -> str:
    """A plain-text table, missing certificates first, then by time left, soonest first;
    the status column lists every problem (MISSING, WRONG CA, KEY MISMATCH...) and
    WARNING/EXPIRED."""
    rows = [
        (
            info.name,
            info.kind,
            f"{info.not_after:%Y-%m-%d %H:%M}" if info.not_after else "-",
            "-" if info.days_left is None else str(info.days_left),
            info.issuer or "-",
            ", ".join(status_label(s) for s in info.statuses(warn_days)),
        )
        for info in sorted(infos, key=lambda i: (i.not_after or _NEVER, i.name))
    ]
    widths = [max(len(row[i]) for row in [_COLUMNS, *rows]) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        for row in [_COLUMNS, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def problem_details(info: CertInfo) -> str:
    """``apiserver: wrong ca (not signed by the CA in ca.crt)``: a row's problems in a line."""
    shown = [f"{status_label(p.status).lower()} ({p.detail})" for p in info.problems]
    if info.expiry() == "expired":
        shown.append("expired")
    return f"{info.name}: {'; '.join(shown)}"
