"""Keys and X.509 certificates on ``cryptography``: create, serialise, load, inspect.

Every function here is pure (no file access). Loading failures raise ``PKIError`` naming what
could not be read, never the key material itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kubexm.errors import PKIError
from kubexm.pki.model import KeyType
from kubexm.util.cidr import is_ip

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

# Issued certificates start a little in the past so hosts whose clock runs slightly behind
# the machine running kubexm do not reject them as "not yet valid".
BACKDATE = timedelta(minutes=5)
RSA_BITS = 2048

EKU_OIDS = {
    "serverAuth": ExtendedKeyUsageOID.SERVER_AUTH,
    "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH,
}
KEY_USAGES = ("digitalSignature", "keyEncipherment", "keyCertSign", "cRLSign")


@dataclass(frozen=True)
class CertProfile:
    """What a certificate says: subject, key usages, extended key usages and SANs."""

    cn: str
    orgs: tuple[str, ...] = ()
    key_usages: tuple[str, ...] = ("digitalSignature", "keyEncipherment")
    ext_key_usages: tuple[str, ...] = ()
    sans: tuple[str, ...] = ()


@dataclass(frozen=True)
class Issuer:
    """A CA able to sign: its certificate and private key."""

    cert: x509.Certificate
    key: PrivateKey


def generate_key(key_type: KeyType) -> PrivateKey:
    """Create a private key: RSA 2048 or ECDSA P-256."""
    if key_type == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)


def key_type_of(key: PrivateKey) -> KeyType:
    """Return ``rsa`` or ``ecdsa`` for a key."""
    return "rsa" if isinstance(key, rsa.RSAPrivateKey) else "ecdsa"


def key_to_pem(key: PrivateKey) -> bytes:
    """Serialise a private key unencrypted, in the PKCS#1 / SEC1 form kubeadm writes."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def public_key_pem(key: PrivateKey) -> bytes:
    """Serialise the public half of ``key`` as a PEM SubjectPublicKeyInfo (``sa.pub``)."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_key(data: bytes, what: str) -> PrivateKey:
    """Parse a PEM private key; raises ``PKIError`` if it is not an RSA or EC key.

    OpenSSL's RSA consistency check is skipped: it costs about 90 ms per key and every plan
    reads the whole PKI, while a key that does not belong to its certificate is still caught
    by ``key_matches`` wherever a pair is used.
    """
    try:
        key = serialization.load_pem_private_key(
            data, password=None, unsafe_skip_rsa_key_validation=True
        )
    except (ValueError, TypeError) as exc:
        raise PKIError(
            f"{what} is not a readable unencrypted PEM private key",
            "restore the file from a backup or remove it to have it created again",
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise PKIError(f"{what} is neither an RSA nor an ECDSA key", "use an RSA or ECDSA key")
    return key


def cert_to_pem(cert: x509.Certificate) -> bytes:
    """Serialise a certificate as PEM."""
    return cert.public_bytes(serialization.Encoding.PEM)


def load_cert(data: bytes, what: str) -> x509.Certificate:
    """Parse a PEM certificate; raises ``PKIError`` when the data is not one."""
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise PKIError(
            f"{what} is not a readable PEM certificate",
            "restore the file from a backup or remove it to have it issued again",
        ) from exc


def make_ca(cn: str, key: PrivateKey, *, now: datetime, validity: timedelta) -> x509.Certificate:
    """Create a self-signed CA certificate valid from ``now`` (backdated) for ``validity``."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        _base_builder(name, name, key, now, now + validity)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(("digitalSignature", "keyCertSign", "cRLSign")), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False)
    )
    return builder.sign(key, hashes.SHA256())


def issue(
    profile: CertProfile,
    key: PrivateKey,
    issuer: Issuer,
    *,
    now: datetime,
    validity: timedelta,
) -> x509.Certificate:
    """Sign a leaf certificate for ``key`` with ``issuer``.

    The leaf never outlives its CA: ``NotAfter`` is capped at the CA's. ``keyEncipherment`` is
    left out for ECDSA keys, which cannot encipher (RFC 5480 section 3).
    """
    not_after = min(now + validity, issuer.cert.not_valid_after_utc)
    usages = effective_key_usages(profile.key_usages, key_type_of(key))
    builder = (
        _base_builder(_subject(profile), issuer.cert.subject, key, now, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(usages), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(_authority_key_id(issuer), critical=False)
    )
    if profile.ext_key_usages:
        ekus = [EKU_OIDS[name] for name in profile.ext_key_usages]
        builder = builder.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
    if profile.sans:
        builder = builder.add_extension(_san(profile.sans), critical=False)
    return builder.sign(issuer.key, hashes.SHA256())


def effective_key_usages(usages: tuple[str, ...], key_type: KeyType) -> tuple[str, ...]:
    """The key usages a leaf with a key of ``key_type`` carries (no keyEncipherment for EC)."""
    if key_type == "ecdsa":
        return tuple(u for u in usages if u != "keyEncipherment")
    return usages


def _base_builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: PrivateKey,
    now: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
    )


def _subject(profile: CertProfile) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org) for org in profile.orgs]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, profile.cn))
    return x509.Name(attrs)


def _key_usage(names: Iterable[str]) -> x509.KeyUsage:
    wanted = set(names)
    return x509.KeyUsage(
        digital_signature="digitalSignature" in wanted,
        content_commitment=False,
        key_encipherment="keyEncipherment" in wanted,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign="keyCertSign" in wanted,
        crl_sign="cRLSign" in wanted,
        encipher_only=False,
        decipher_only=False,
    )


def _authority_key_id(issuer: Issuer) -> x509.AuthorityKeyIdentifier:
    try:
        ski = issuer.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        # A CA brought by the user may lack an SKI; derive the identifier from its key.
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key())
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _san(values: Iterable[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for value in values:
        if is_ip(value):
            names.append(x509.IPAddress(ipaddress.ip_address(value)))
        else:
            names.append(x509.DNSName(value))
    return x509.SubjectAlternativeName(names)


def normalise_sans(values: Iterable[str]) -> tuple[str, ...]:
    """Canonical form of SAN values, first occurrence kept: IPs as ``ipaddress`` prints them."""
    out: dict[str, None] = {}
    for value in values:
        text = value.strip()
        if not text:
            continue
        out[str(ipaddress.ip_address(text)) if is_ip(text) else text] = None
    return tuple(out)


def cert_sans(cert: x509.Certificate) -> frozenset[str]:
    """The DNS names and IP addresses in a certificate's SAN extension, as strings."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return frozenset()
    dns = san.get_values_for_type(x509.DNSName)
    ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return frozenset([*dns, *ips])


def cert_profile(cert: x509.Certificate) -> CertProfile:
    """Read back what a certificate says, in the shape of a ``CertProfile``."""
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    orgs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return CertProfile(
        cn=str(cns[0].value) if cns else "",
        orgs=tuple(str(o.value) for o in orgs),
        key_usages=_read_key_usages(cert),
        ext_key_usages=_read_ext_key_usages(cert),
        sans=tuple(sorted(cert_sans(cert))),
    )


def _read_key_usages(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return ()
    flags = {
        "digitalSignature": usage.digital_signature,
        "keyEncipherment": usage.key_encipherment,
        "keyCertSign": usage.key_cert_sign,
        "cRLSign": usage.crl_sign,
    }
    return tuple(name for name in KEY_USAGES if flags[name])


def _read_ext_key_usages(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        ekus = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(name for name, oid in EKU_OIDS.items() if oid in ekus)


def is_ca(cert: x509.Certificate) -> bool:
    """True when the certificate carries basicConstraints CA:TRUE."""
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    """True when ``ca`` names and signed ``cert`` (signature checked, not validity dates)."""
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def key_matches(cert: x509.Certificate, key: PrivateKey) -> bool:
    """True when ``key`` is the private half of the certificate's public key."""
    return cert.public_key() == key.public_key()
