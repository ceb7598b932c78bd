"""Bring the local PKI directory in line with a ``PKIPlan``, changing as little as possible.

Every run decides first and writes afterwards, so a refused run leaves the directory untouched.
A certificate that still says the right thing, is signed by the current CA and has more than
``plan.renew_before`` left is kept byte for byte; one whose subject, SANs or usages differ, or
that is about to expire, is re-issued alone (keeping its key). A leaf signed by another CA is
never replaced silently: that means the CA changed, and every host still trusts the old one.
Per-host leaves and kubeconfigs of hosts no longer in the plan are moved to
``<pki>/retired/<timestamp>/`` (see ``retire``) and reported as ``retired``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from cryptography import x509

from kubexm.common.paths import KUBECONFIG_DIR
from kubexm.errors import PKIError
from kubexm.pki import certs
from kubexm.pki.certs import Issuer, PrivateKey
from kubexm.pki.kubeconfig import KubeconfigSpec, kubeconfig_specs, render_kubeconfig
from kubexm.pki.model import PKIPlan
from kubexm.pki.retire import retire, retired_folder, stale_items
from kubexm.pki.store import CERT_MODE, KEY_MODE, ensure_dir, read_bytes, write_atomic
from kubexm.pki.table import CASpec, LeafRequest, cas_for, leaf_requests

Action = Literal["created", "kept", "reissued", "updated", "retired"]
Kind = Literal["ca", "key", "leaf", "kubeconfig"]


@dataclass(frozen=True)
class ReportEntry:
    """What happened to one CA, key pair, leaf or kubeconfig, and why."""

    name: str
    kind: Kind
    action: Action
    reason: str = ""


@dataclass
class PKIReport:
    """The outcome of ``ensure_pki``: one entry per item plus warnings for the user."""

    entries: list[ReportEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def names(self, action: Action) -> list[str]:
        """Names of the items that got ``action``, in the order they were handled."""
        return [entry.name for entry in self.entries if entry.action == action]

    @property
    def changed(self) -> bool:
        """True when any file was written or moved aside."""
        return any(entry.action != "kept" for entry in self.entries)


@dataclass(frozen=True)
class PKIPaths:
    """Where the local PKI lives: ``pki_dir`` for keys and certs, ``kubeconfig_dir`` for confs."""

    pki_dir: Path
    kubeconfig_dir: Path

    def crt(self, name: str) -> Path:
        return self.pki_dir / f"{name}.crt"

    def key(self, name: str) -> Path:
        return self.pki_dir / f"{name}.key"

    def conf(self, name: str) -> Path:
        return self.kubeconfig_dir / name


@dataclass(frozen=True)
class _Pair:
    """A certificate and its key, as PEM bytes and parsed objects."""

    cert_pem: bytes
    key_pem: bytes
    cert: x509.Certificate
    key: PrivateKey

    @property
    def issuer(self) -> Issuer:
        return Issuer(self.cert, self.key)


def default_paths(pki_dir: Path) -> PKIPaths:
    """The work-dir layout: kubeconfigs in ``kubeconfig/`` next to ``pki/``."""
    return PKIPaths(pki_dir, pki_dir.parent / KUBECONFIG_DIR)


def ensure_pki(
    plan: PKIPlan,
    pki_dir: Path,
    *,
    kubeconfig_dir: Path | None = None,
    force: bool = False,
    now: datetime | None = None,
    retire_stale: bool = True,
) -> PKIReport:
    """Create or update every CA, key pair, leaf and kubeconfig ``plan`` needs.

    ``kubeconfig_dir`` defaults to ``pki_dir/../kubeconfig``. Raises ``PKIError`` without
    writing anything when a CA is unreadable, expired or does not match its key, or when leaves
    were signed by a CA other than the current one; ``force=True`` then replaces the CA and
    re-issues those leaves instead. Write failures raise ``PKIError`` too. With
    ``retire_stale`` per-host files of hosts the plan no longer names are moved aside after
    the writes (never on a refused run).
    """
    paths = PKIPaths(pki_dir, kubeconfig_dir or default_paths(pki_dir).kubeconfig_dir)
    run = _Run(plan, paths, force, now or datetime.now(UTC))
    cas = {spec.name: run.ca(spec) for spec in cas_for(plan)}
    run.service_account()
    leaves = {req.name: run.leaf(req, cas[req.ca]) for req in leaf_requests(plan)}
    run.refuse_foreign()
    specs = kubeconfig_specs(plan)
    for spec in specs:
        run.kubeconfig(spec, cas["ca"], leaves[spec.leaf])
    run.commit()
    if retire_stale:
        run.retire_stale(leaves, [spec.name for spec in specs])
    return run.report


class _Run:
    """One reconciliation: decisions accumulate in ``report`` and ``_writes``."""

    def __init__(self, plan: PKIPlan, paths: PKIPaths, force: bool, now: datetime) -> None:
        self.plan = plan
        self.paths = paths
        self.force = force
        self.now = now
        self.report = PKIReport()
        self._writes: list[tuple[Path, bytes, int]] = []
        self._foreign: list[tuple[str, str]] = []

    def _write(self, path: Path, data: bytes, mode: int) -> None:
        self._writes.append((path, data, mode))

    def _entry(self, name: str, kind: Kind, action: Action, reason: str = "") -> None:
        self.report.entries.append(ReportEntry(name, kind, action, reason))

    def commit(self) -> None:
        """Write every decided file: directories first, keys before the certs that use them."""
        ensure_dir(self.paths.pki_dir)
        ensure_dir(self.paths.kubeconfig_dir)
        for path, data, mode in self._writes:
            write_atomic(path, data, mode)

    def retire_stale(self, leaves: Iterable[str], confs: Iterable[str]) -> None:
        """Move the per-host files no host of the plan uses to ``retired/<timestamp>/``."""
        paths = self.paths
        items = stale_items(paths.pki_dir, paths.kubeconfig_dir, leaves, confs)
        if not items:
            return
        dest = retired_folder(paths.pki_dir, self.now)
        retire(items, paths.pki_dir, paths.kubeconfig_dir, dest)
        where = dest.relative_to(paths.pki_dir).as_posix()
        for item in items:
            reason = f"no host of the config uses it; moved to {where}/"
            self._entry(item.name, item.kind, "retired", reason)

    # -- certificate authorities -------------------------------------------------------------

    def ca(self, spec: CASpec) -> _Pair:
        """Load the CA, or create it when neither file exists."""
        cert_pem = read_bytes(self.paths.crt(spec.name))
        key_pem = read_bytes(self.paths.key(spec.name))
        if cert_pem is None and key_pem is None:
            return self._new_ca(spec, "did not exist")
        problem, pair = _check_ca(spec, cert_pem, key_pem, self.now)
        if pair is not None:
            self._entry(spec.name, "ca", "kept")
            self._warn_short_ca(spec, pair.cert)
            return pair
        if not self.force:
            raise PKIError(
                f"CA {spec.name}: {problem}",
                f"restore {spec.name}.crt and {spec.name}.key from a backup, or re-run with"
                " force to create a new CA and re-issue everything it signs (every host must"
                " then receive the new files)",
            )
        return self._new_ca(spec, f"replaced: {problem}")

    def _new_ca(self, spec: CASpec, reason: str) -> _Pair:
        key = certs.generate_key(self.plan.key_type)
        cert = certs.make_ca(spec.cn, key, now=self.now, validity=self.plan.ca_validity)
        pair = _Pair(certs.cert_to_pem(cert), certs.key_to_pem(key), cert, key)
        self._write(self.paths.key(spec.name), pair.key_pem, KEY_MODE)
        self._write(self.paths.crt(spec.name), pair.cert_pem, CERT_MODE)
        self._entry(spec.name, "ca", "created", reason)
        self._warn_short_ca(spec, cert)
        return pair

    def _warn_short_ca(self, spec: CASpec, cert: x509.Certificate) -> None:
        if cert.not_valid_after_utc < self.now + self.plan.leaf_validity:
            self.report.warnings.append(
                f"CA {spec.name} expires on {cert.not_valid_after_utc:%Y-%m-%d}; leaves it"
                " signs are cut to that date — plan a CA rotation"
            )

    # -- service-account key pair ------------------------------------------------------------

    def service_account(self) -> None:
        """Keep ``sa.key`` (changing it invalidates every token); derive ``sa.pub`` from it."""
        key_path, pub_path = self.paths.pki_dir / "sa.key", self.paths.pki_dir / "sa.pub"
        key_pem = read_bytes(key_path)
        if key_pem is None:
            key = certs.generate_key(self.plan.key_type)
            self._write(key_path, certs.key_to_pem(key), KEY_MODE)
            self._write(pub_path, certs.public_key_pem(key), CERT_MODE)
            self._entry("sa", "key", "created", "did not exist")
            return
        pub = certs.public_key_pem(certs.load_key(key_pem, str(key_path)))
        if read_bytes(pub_path) == pub:
            self._entry("sa", "key", "kept")
            return
        self._write(pub_path, pub, CERT_MODE)
        self._entry("sa", "key", "updated", "sa.pub was missing or did not match sa.key")

    # -- leaves ------------------------------------------------------------------------------

    def leaf(self, req: LeafRequest, ca: _Pair) -> tuple[bytes, bytes]:
        """Decide one leaf; returns the (cert, key) PEM it will have after ``commit``."""
        cert_pem = read_bytes(self.paths.crt(req.name))
        key_pem = read_bytes(self.paths.key(req.name))
        cert, key = _try_cert(cert_pem), _try_key(key_pem)
        if cert_pem is None:
            return self._issue(req, ca, key, "created", "did not exist")
        if cert is None:
            return self._issue(req, ca, key, "reissued", "the certificate was unreadable")
        if not certs.signed_by(cert, ca.cert):
            self._foreign.append((req.name, req.ca))
            return self._issue(req, ca, key, "reissued", f"was signed by another {req.ca}")
        reason = _stale_reason(req, cert, key, self.plan, self.now)
        if reason or key_pem is None:
            return self._issue(req, ca, key, "reissued", reason)
        self._entry(req.name, "leaf", "kept")
        return cert_pem, key_pem

    def _issue(
        self, req: LeafRequest, ca: _Pair, key: PrivateKey | None, action: Action, reason: str
    ) -> tuple[bytes, bytes]:
        if key is None or _rekey(self.plan, key):
            key = certs.generate_key(self.plan.key_type)
            self._write(self.paths.key(req.name), certs.key_to_pem(key), KEY_MODE)
        validity = self.plan.leaf_validity
        cert = certs.issue(req.profile, key, ca.issuer, now=self.now, validity=validity)
        cert_pem = certs.cert_to_pem(cert)
        self._write(self.paths.crt(req.name), cert_pem, CERT_MODE)
        self._entry(req.name, "leaf", action, reason)
        return cert_pem, certs.key_to_pem(key)

    def refuse_foreign(self) -> None:
        """Raise ``PKIError`` naming leaves signed by another CA, unless ``force`` is set."""
        if not self._foreign or self.force:
            return
        by_ca: dict[str, list[str]] = {}
        for name, ca in self._foreign:
            by_ca.setdefault(ca, []).append(name)
        detail = "; ".join(f"{ca}: {', '.join(names)}" for ca, names in by_ca.items())
        # The run stops before writing anything: a CA it meant to create does not exist yet.
        new = [e.name for e in self.report.entries if e.kind == "ca" and e.action == "created"]
        cause = ""
        if new:
            files = ", ".join(f"{name}.crt/.key" for name in new)
            cause = f" ({files} missing, so a new CA would have to be made)"
        raise PKIError(
            f"certificates signed by a different CA than the one in {self.paths.pki_dir}"
            f"{cause}: {detail}; nothing was written",
            "restore the CA files these were issued with, or re-run with force to re-issue"
            " them from the current CA and then push the new CA and certificates to every host",
        )

    # -- kubeconfigs -------------------------------------------------------------------------

    def kubeconfig(self, spec: KubeconfigSpec, ca: _Pair, leaf: tuple[bytes, bytes]) -> None:
        """Render one kubeconfig and write it only when its bytes change."""
        data = render_kubeconfig(spec, self.plan.cluster_name, ca.cert_pem, *leaf)
        current = read_bytes(self.paths.conf(spec.name))
        if current == data:
            self._entry(spec.name, "kubeconfig", "kept")
            return
        self._write(self.paths.conf(spec.name), data, KEY_MODE)
        action: Action = "created" if current is None else "updated"
        self._entry(spec.name, "kubeconfig", action, "" if current is None else "content changed")


def _check_ca(
    spec: CASpec, cert_pem: bytes | None, key_pem: bytes | None, now: datetime
) -> tuple[str, _Pair | None]:
    """Return ("", pair) for a usable CA, else (what is wrong, None)."""
    if cert_pem is None or key_pem is None:
        missing = f"{spec.name}.crt" if cert_pem is None else f"{spec.name}.key"
        return f"{missing} is missing while its other half exists", None
    cert, key = _try_cert(cert_pem), _try_key(key_pem)
    if cert is None or key is None:
        return "the certificate or the key cannot be read", None
    if not certs.is_ca(cert):
        return "the certificate is not a CA (basicConstraints CA:FALSE)", None
    if not certs.key_matches(cert, key):
        return "the key does not belong to the certificate", None
    if cert.not_valid_after_utc <= now:
        return f"it expired on {cert.not_valid_after_utc:%Y-%m-%d}", None
    return "", _Pair(cert_pem, key_pem, cert, key)


def _try_cert(data: bytes | None) -> x509.Certificate | None:
    if data is None:
        return None
    try:
        return certs.load_cert(data, "certificate")
    except PKIError:
        return None


def _try_key(data: bytes | None) -> PrivateKey | None:
    if data is None:
        return None
    try:
        return certs.load_key(data, "key")
    except PKIError:
        return None


def _stale_reason(
    req: LeafRequest,
    cert: x509.Certificate,
    key: PrivateKey | None,
    plan: PKIPlan,
    now: datetime,
) -> str:
    """Why an existing leaf signed by the right CA must be re-issued; "" when it can stay."""
    if key is None or not certs.key_matches(cert, key):
        return "its key is missing or does not match"
    if _rekey(plan, key):
        return f"key type changed to {plan.key_type}"
    want, have = req.profile, certs.cert_profile(cert)
    if (want.cn, sorted(want.orgs)) != (have.cn, sorted(have.orgs)):
        return "subject changed"
    if set(want.sans) != set(have.sans):
        return "SANs changed"
    usages = certs.effective_key_usages(want.key_usages, certs.key_type_of(key))
    if set(usages) != set(have.key_usages) or set(want.ext_key_usages) != set(have.ext_key_usages):
        return "key usages changed"
    left = cert.not_valid_after_utc - now
    if left < plan.renew_before:
        return f"expires in {left.days} days"
    return ""


def _rekey(plan: PKIPlan, key: PrivateKey) -> bool:
    """Replace an existing key only when asked to and its type differs (no churn otherwise)."""
    return plan.rekey and certs.key_type_of(key) != plan.key_type
