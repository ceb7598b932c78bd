from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from kubexm.errors import PKIError
from kubexm.pki import certs
from kubexm.pki.certs import CertProfile, Issuer
from kubexm.pki.model import KeyType

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def ca() -> Issuer:
    key = certs.generate_key("ecdsa")
    return Issuer(certs.make_ca("test-ca", key, now=NOW, validity=timedelta(days=3650)), key)


def _server_profile() -> CertProfile:
    return CertProfile(
        cn="svc",
        orgs=("team",),
        ext_key_usages=("serverAuth",),
        sans=("svc.local", "10.0.0.1", "fd00::1"),
    )


def test_generate_key_gives_rsa_2048_or_p256() -> None:
    rsa_key = certs.generate_key("rsa")
    ec_key = certs.generate_key("ecdsa")
    assert isinstance(rsa_key, rsa.RSAPrivateKey) and rsa_key.key_size == 2048
    assert isinstance(ec_key, ec.EllipticCurvePrivateKey)
    assert isinstance(ec_key.curve, ec.SECP256R1)
    assert (certs.key_type_of(rsa_key), certs.key_type_of(ec_key)) == ("rsa", "ecdsa")


@pytest.mark.parametrize(
    ("key_type", "header"),
    [("rsa", b"-----BEGIN RSA PRIVATE KEY-----"), ("ecdsa", b"-----BEGIN EC PRIVATE KEY-----")],
    ids=["rsa-pkcs1", "ecdsa-sec1"],
)
def test_key_pem_round_trips_in_kubeadm_format(key_type: KeyType, header: bytes) -> None:
    key = certs.generate_key(key_type)
    pem = certs.key_to_pem(key)
    assert pem.startswith(header)
    assert certs.key_to_pem(certs.load_key(pem, "k")) == pem


def test_public_key_pem_is_subject_public_key_info() -> None:
    pem = certs.public_key_pem(certs.generate_key("ecdsa"))
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")


def test_load_key_rejects_garbage_without_echoing_it() -> None:
    with pytest.raises(PKIError) as err:
        certs.load_key(b"SECRET-GARBAGE", "pki/sa.key")
    assert "pki/sa.key" in str(err.value)
    assert "SECRET" not in str(err.value)


def test_load_key_rejects_unsupported_key_types() -> None:
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(PKIError, match="neither an RSA nor an ECDSA key"):
        certs.load_key(pem, "k")


def test_load_cert_rejects_garbage() -> None:
    with pytest.raises(PKIError, match="not a readable PEM certificate"):
        certs.load_cert(b"nope", "ca.crt")


def test_cert_pem_round_trips(ca: Issuer) -> None:
    pem = certs.cert_to_pem(ca.cert)
    assert certs.load_cert(pem, "ca") == ca.cert


def test_make_ca_sets_constraints_usages_and_identifiers(ca: Issuer) -> None:
    ext = ca.cert.extensions
    basic = ext.get_extension_for_class(x509.BasicConstraints)
    usage = ext.get_extension_for_class(x509.KeyUsage)
    ski = ext.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = ext.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert basic.critical and basic.value.ca
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert aki.key_identifier == ski.digest
    assert certs.is_ca(ca.cert)
    assert ca.cert.subject == ca.cert.issuer


def test_make_ca_backdates_not_before_and_lasts_the_validity(ca: Issuer) -> None:
    assert ca.cert.not_valid_before_utc == NOW - timedelta(minutes=5)
    assert ca.cert.not_valid_after_utc == NOW + timedelta(days=3650)


def test_issue_writes_profile_and_links_to_the_ca(ca: Issuer) -> None:
    key = certs.generate_key("rsa")
    cert = certs.issue(_server_profile(), key, ca, now=NOW, validity=timedelta(days=365))
    profile = certs.cert_profile(cert)
    assert (profile.cn, profile.orgs) == ("svc", ("team",))
    assert profile.ext_key_usages == ("serverAuth",)
    assert profile.key_usages == ("digitalSignature", "keyEncipherment")
    assert set(profile.sans) == {"svc.local", "10.0.0.1", "fd00::1"}
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ca_ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ca_ski.digest
    assert not certs.is_ca(cert)
    assert certs.signed_by(cert, ca.cert)
    assert cert.not_valid_after_utc == NOW + timedelta(days=365)


def test_issue_drops_key_encipherment_for_ecdsa_keys(ca: Issuer) -> None:
    cert = certs.issue(
        _server_profile(), certs.generate_key("ecdsa"), ca, now=NOW, validity=timedelta(days=1)
    )
    assert certs.cert_profile(cert).key_usages == ("digitalSignature",)


def test_issue_never_outlives_the_ca(ca: Issuer) -> None:
    key = certs.generate_key("ecdsa")
    cert = certs.issue(_server_profile(), key, ca, now=NOW, validity=timedelta(days=99999))
    assert cert.not_valid_after_utc == ca.cert.not_valid_after_utc


def test_issue_uses_random_serials(ca: Issuer) -> None:
    key = certs.generate_key("ecdsa")
    serials = {
        certs.issue(_server_profile(), key, ca, now=NOW, validity=timedelta(days=1)).serial_number
        for _ in range(5)
    }
    assert len(serials) == 5


def test_issue_with_a_ca_lacking_ski_derives_the_authority_key_id() -> None:
    key = certs.generate_key("ecdsa")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bare-ca")])
    bare = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=10))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    leaf = certs.issue(
        CertProfile("x"),
        certs.generate_key("ecdsa"),
        Issuer(bare, key),
        now=NOW,
        validity=timedelta(days=1),
    )
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == x509.SubjectKeyIdentifier.from_public_key(key.public_key()).digest


def test_cert_without_optional_extensions_reads_as_empty() -> None:
    key = certs.generate_key("ecdsa")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "plain")])
    plain = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    profile = certs.cert_profile(plain)
    assert (profile.key_usages, profile.ext_key_usages, profile.sans) == ((), (), ())
    assert not certs.is_ca(plain)


def test_normalise_sans_dedupes_and_canonicalises_ips() -> None:
    values = ["a.example", "FD00:0:0::1", "fd00::1", " ", "10.0.0.1", "a.example"]
    assert certs.normalise_sans(values) == ("a.example", "fd00::1", "10.0.0.1")


@pytest.mark.parametrize(
    ("usages", "key_type", "expected"),
    [
        (("digitalSignature", "keyEncipherment"), "rsa", ("digitalSignature", "keyEncipherment")),
        (("digitalSignature", "keyEncipherment"), "ecdsa", ("digitalSignature",)),
    ],
    ids=["rsa-keeps", "ecdsa-drops"],
)
def test_effective_key_usages(
    usages: tuple[str, ...], key_type: KeyType, expected: tuple[str, ...]
) -> None:
    assert certs.effective_key_usages(usages, key_type) == expected


def test_signed_by_is_false_for_another_ca(ca: Issuer) -> None:
    other_key = certs.generate_key("ecdsa")
    other = certs.make_ca("test-ca", other_key, now=NOW, validity=timedelta(days=1))
    leaf = certs.issue(
        CertProfile("x"), certs.generate_key("ecdsa"), ca, now=NOW, validity=timedelta(days=1)
    )
    assert certs.signed_by(leaf, ca.cert)
    assert not certs.signed_by(leaf, other)


def test_key_matches_only_its_own_certificate(ca: Issuer) -> None:
    assert certs.key_matches(ca.cert, ca.key)
    assert not certs.key_matches(ca.cert, certs.generate_key("ecdsa"))
