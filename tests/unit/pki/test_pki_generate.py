from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import stat
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkitest_helpers import MASTERS, NODES, Generated, make_plan

from kubexm.errors import PKIError
from kubexm.pki import certs
from kubexm.pki.generate import PKIPaths, default_paths, ensure_pki
from kubexm.pki.kubeconfig import kubeconfig_specs, parse_kubeconfig
from kubexm.pki.model import Member
from kubexm.pki.table import leaf_requests

ADMINS = "kubeadm:cluster-admins"
SRV, CLI = {"serverAuth"}, {"clientAuth"}
# kubeadm's table (kubernetes.io "PKI certificates and requirements"), written out here on its
# own so the test does not just compare kubexm's table with itself: name -> CA, CN, O, EKUs.
KUBEADM: dict[str, tuple[str, str, tuple[str, ...], set[str]]] = {
    "apiserver": ("ca", "kube-apiserver", (), SRV),
    "apiserver-kubelet-client": ("ca", "kube-apiserver-kubelet-client", (ADMINS,), CLI),
    "apiserver-etcd-client": ("etcd/ca", "kube-apiserver-etcd-client", (), CLI),
    "front-proxy-client": ("front-proxy-ca", "front-proxy-client", (), CLI),
    "etcd/e1-server": ("etcd/ca", "e1", (), SRV | CLI),
    "etcd/e2-server": ("etcd/ca", "e2", (), SRV | CLI),
    "etcd/e1-peer": ("etcd/ca", "e1", (), SRV | CLI),
    "etcd/e2-peer": ("etcd/ca", "e2", (), SRV | CLI),
    "etcd/healthcheck-client": ("etcd/ca", "kube-etcd-healthcheck-client", (), CLI),
    "clients/admin": ("ca", "kubernetes-admin", (ADMINS,), CLI),
    "clients/super-admin": ("ca", "kubernetes-super-admin", ("system:masters",), CLI),
    "clients/controller-manager": ("ca", "system:kube-controller-manager", (), CLI),
    "clients/scheduler": ("ca", "system:kube-scheduler", (), CLI),
    "clients/kube-proxy": ("ca", "system:kube-proxy", (), CLI),
    "kubelet/m1-client": ("ca", "system:node:m1", ("system:nodes",), CLI),
    "kubelet/w1-client": ("ca", "system:node:w1", ("system:nodes",), CLI),
    "kubelet/m1-serving": ("ca", "system:node:m1", ("system:nodes",), SRV),
    "kubelet/w1-serving": ("ca", "system:node:w1", ("system:nodes",), SRV),
}
CONF_NAMES = [spec.name for spec in kubeconfig_specs(make_plan())]


def _load(path: Path) -> x509.Certificate:
    return certs.load_cert(path.read_bytes(), str(path))


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _openssl_verify(ca: Path, leaf: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", "verify", "-x509_strict", "-CAfile", str(ca), str(leaf)],
        capture_output=True,
        text=True,
        check=False,
    )


# -- what a first run creates --------------------------------------------------------------


def test_first_run_creates_every_item(generated: Generated) -> None:
    report = generated.report
    assert report.names("kept") == report.names("reissued") == []
    created = report.names("created")
    assert created[:4] == ["ca", "etcd/ca", "front-proxy-ca", "sa"]
    assert set(created[4:]) == set(KUBEADM) | set(CONF_NAMES)
    assert report.changed
    assert report.warnings == []


def test_generated_leaves_are_exactly_kubeadms_table(generated: Generated) -> None:
    crts = {
        p.relative_to(generated.pki).with_suffix("").as_posix()
        for p in generated.pki.rglob("*.crt")
    }
    assert crts == set(KUBEADM) | {"ca", "etcd/ca", "front-proxy-ca"}


@pytest.mark.parametrize("name", sorted(KUBEADM), ids=str)
def test_leaf_matches_kubeadm_table(generated: Generated, name: str) -> None:
    ca, cn, orgs, ekus = KUBEADM[name]
    cert = _load(generated.pki / f"{name}.crt")
    profile = certs.cert_profile(cert)
    assert (profile.cn, profile.orgs, set(profile.ext_key_usages)) == (cn, orgs, ekus)
    # ECDSA keys: digitalSignature only (keyEncipherment is for RSA, see the RSA test).
    assert profile.key_usages == ("digitalSignature",)
    assert certs.signed_by(cert, _load(generated.pki / f"{ca}.crt"))
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=365, minutes=5)


@pytest.mark.parametrize("name", sorted(KUBEADM), ids=str)
def test_leaf_verifies_with_openssl_against_its_ca(generated: Generated, name: str) -> None:
    ca = generated.pki / f"{KUBEADM[name][0]}.crt"
    result = _openssl_verify(ca, generated.pki / f"{name}.crt")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith(": OK")


def test_leaf_from_another_ca_fails_openssl_verify(generated: Generated) -> None:
    result = _openssl_verify(generated.pki / "etcd/ca.crt", generated.pki / "apiserver.crt")
    assert result.returncode != 0


def test_apiserver_sans_cover_names_services_endpoint_and_masters(generated: Generated) -> None:
    sans = certs.cert_sans(_load(generated.pki / "apiserver.crt"))
    expected = {
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "10.96.0.1",
        "fd00:96::1",
        "localhost",
        "127.0.0.1",
        "lb.kubexm.local",
        "192.168.10.100",
        "api.example.com",
        "203.0.113.7",
    }
    for master in MASTERS:
        expected |= {master.name, *master.addresses}
    assert sans == expected


@pytest.mark.parametrize("name", ["ca", "etcd/ca", "front-proxy-ca"], ids=str)
def test_cas_are_self_signed_ten_year_cas(generated: Generated, name: str) -> None:
    cert = _load(generated.pki / f"{name}.crt")
    assert certs.is_ca(cert) and certs.signed_by(cert, cert)
    assert certs.cert_profile(cert).key_usages == ("digitalSignature", "keyCertSign", "cRLSign")
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=3650, minutes=5)
    ca = generated.pki / f"{name}.crt"
    assert _openssl_verify(ca, ca).returncode == 0


def test_keys_kubeconfigs_and_dirs_are_private(generated: Generated) -> None:
    for path in generated.root.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_dir():
            assert mode == 0o700, path
        elif path.suffix in (".key", ".conf"):
            assert mode == 0o600, path
        else:
            assert mode == 0o644, path


def test_sa_pub_is_the_public_half_of_sa_key(generated: Generated) -> None:
    key = certs.load_key((generated.pki / "sa.key").read_bytes(), "sa.key")
    assert (generated.pki / "sa.pub").read_bytes() == certs.public_key_pem(key)


# -- kubeconfigs ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", CONF_NAMES, ids=str)
def test_kubectl_reads_every_kubeconfig(generated: Generated, name: str) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed on this machine")
    result = subprocess.run(
        [
            kubectl,
            "config",
            "view",
            "--kubeconfig",
            str(generated.kubeconfig / name),
            "-o",
            "jsonpath={.clusters[0].cluster.server}",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    spec = next(s for s in kubeconfig_specs(generated.plan) if s.name == name)
    assert result.stdout == spec.server


@pytest.mark.parametrize("name", CONF_NAMES, ids=str)
def test_kubeconfig_embeds_its_leaf_and_the_cluster_ca(generated: Generated, name: str) -> None:
    spec = next(s for s in kubeconfig_specs(generated.plan) if s.name == name)
    data = parse_kubeconfig((generated.kubeconfig / name).read_bytes(), name)
    assert data.ca_pem == (generated.pki / "ca.crt").read_bytes()
    assert data.cert_pem == (generated.pki / f"{spec.leaf}.crt").read_bytes()
    assert data.key_pem == (generated.pki / f"{spec.leaf}.key").read_bytes()


class _OneShotServer:
    """A TLS server on 127.0.0.1 that requires a client certificate and records the outcome."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(10)
        self.port = self.sock.getsockname()[1]
        self.peer_cn: str | None = None
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._serve, args=(context,), daemon=True)
        self.thread.start()

    def _serve(self, context: ssl.SSLContext) -> None:
        try:
            conn, _ = self.sock.accept()
            conn.settimeout(10)
            with context.wrap_socket(conn, server_side=True) as tls:
                peer = tls.getpeercert() or {}
                pairs = [rdn[0] for rdn in peer.get("subject", ())]
                self.peer_cn = next((str(p[1]) for p in pairs if p[0] == "commonName"), None)
                tls.sendall(b"ok")
        except (OSError, ssl.SSLError) as exc:
            self.error = exc
        finally:
            self.sock.close()


def _server_context(pki: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki / "apiserver.crt", pki / "apiserver.key")
    ctx.load_verify_locations(cafile=str(pki / "ca.crt"))
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def _client_handshake(
    ca_pem: bytes, cert_pem: bytes, key_pem: bytes, port: int, tmp: Path
) -> bytes:
    (tmp / "client.crt").write_bytes(cert_pem)
    (tmp / "client.key").write_bytes(key_pem)
    ctx = ssl.create_default_context(cadata=ca_pem.decode())
    ctx.load_cert_chain(tmp / "client.crt", tmp / "client.key")
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        return tls.recv(2)


def _credentials(conf: Path) -> tuple[bytes, bytes, bytes]:
    data = parse_kubeconfig(conf.read_bytes(), conf.name)
    assert data.cert_pem is not None and data.key_pem is not None
    return data.ca_pem, data.cert_pem, data.key_pem


def test_tls_handshake_succeeds_with_admin_kubeconfig_credentials(
    generated: Generated, tmp_path: Path
) -> None:
    server = _OneShotServer(_server_context(generated.pki))
    creds = _credentials(generated.kubeconfig / "admin.conf")
    received = _client_handshake(*creds, server.port, tmp_path)
    server.thread.join(10)
    assert received == b"ok"
    assert server.error is None
    assert server.peer_cn == "kubernetes-admin"


def test_tls_handshake_fails_for_a_client_of_another_ca(
    generated: Generated, tmp_path: Path
) -> None:
    ensure_pki(make_plan(etcd=(), nodes=()), tmp_path / "other" / "pki")
    _, cert_pem, key_pem = _credentials(tmp_path / "other" / "kubeconfig" / "admin.conf")
    # The client trusts the server's CA, so only the server's client-cert check can refuse.
    ca_pem = (generated.pki / "ca.crt").read_bytes()
    server = _OneShotServer(_server_context(generated.pki))
    with contextlib.suppress(OSError, ssl.SSLError):
        # The client sees the refusal during the handshake (TLS 1.2) or on the first read.
        _client_handshake(ca_pem, cert_pem, key_pem, server.port, tmp_path)
    server.thread.join(10)
    assert isinstance(server.error, ssl.SSLError)
    assert server.peer_cn is None


# -- re-runs -------------------------------------------------------------------------------


def test_rerun_changes_nothing_byte_for_byte(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    before = _snapshot(work.root)
    report = ensure_pki(work.plan, work.pki)
    assert _snapshot(work.root) == before
    assert not report.changed
    assert set(report.names("kept")) == set(KUBEADM) | set(CONF_NAMES) | {
        "ca",
        "etcd/ca",
        "front-proxy-ca",
        "sa",
    }


def test_adding_a_master_reissues_only_the_apiserver(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    before = _snapshot(work.root)
    plan = make_plan(masters=(*MASTERS, Member("m3", ("192.168.10.13",))))
    report = ensure_pki(plan, work.pki)
    assert report.names("reissued") == ["apiserver"]
    assert report.names("created") == report.names("updated") == []
    after = _snapshot(work.root)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"pki/apiserver.crt"}
    assert {"m3", "192.168.10.13"} <= certs.cert_sans(_load(work.pki / "apiserver.crt"))
    # The key stays, so hosts only need the new certificate.
    assert after["pki/apiserver.key"] == before["pki/apiserver.key"]


def test_adding_a_master_node_adds_only_its_own_leaves(
    generated: Generated, tmp_path: Path
) -> None:
    work = generated.copy(tmp_path)
    m3 = Member("m3", ("192.168.10.13",))
    report = ensure_pki(make_plan(masters=(*MASTERS, m3), nodes=(*NODES, m3)), work.pki)
    assert report.names("reissued") == ["apiserver"]
    assert report.names("created") == [
        "kubelet/m3-client",
        "kubelet/m3-serving",
        "kubelet-m3.conf",
        "kube-proxy-m3.conf",
    ]


def test_changed_subject_reissues_those_leaves_and_updates_kubeconfigs(
    generated: Generated, tmp_path: Path
) -> None:
    work = generated.copy(tmp_path)
    report = ensure_pki(make_plan(admin_group="system:masters"), work.pki)
    assert report.names("reissued") == ["apiserver-kubelet-client", "clients/admin"]
    assert report.names("updated") == ["admin.conf"]
    assert {e.reason for e in report.entries if e.action == "reissued"} == {"subject changed"}


def test_removed_extra_san_reissues_the_apiserver(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    report = ensure_pki(make_plan(cert_extra_sans=()), work.pki)
    assert [(e.name, e.reason) for e in report.entries if e.action == "reissued"] == [
        ("apiserver", "SANs changed")
    ]


def test_leaves_near_expiry_are_reissued_and_cas_kept(tmp_path: Path) -> None:
    plan = make_plan(etcd=(), nodes=())
    ensure_pki(plan, tmp_path / "pki", now=datetime.now(UTC) - timedelta(days=340))
    report = ensure_pki(plan, tmp_path / "pki")
    leaves = [req.name for req in leaf_requests(plan)]
    assert report.names("reissued") == leaves
    assert all(
        e.reason.startswith("expires in 2") for e in report.entries if e.action == "reissued"
    )
    assert report.names("kept") == ["ca", "etcd/ca", "front-proxy-ca", "sa"]
    days_left = (_load(tmp_path / "pki/apiserver.crt").not_valid_after_utc - datetime.now(UTC)).days
    assert days_left >= 364


def test_renew_threshold_is_configurable(tmp_path: Path) -> None:
    plan = make_plan(etcd=(), nodes=(), renew_before=timedelta(days=10))
    ensure_pki(plan, tmp_path / "pki", now=datetime.now(UTC) - timedelta(days=340))
    assert not ensure_pki(plan, tmp_path / "pki").changed


def test_unreadable_leaf_key_gets_a_new_key(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    (work.pki / "front-proxy-client.key").write_bytes(b"garbage")
    report = ensure_pki(work.plan, work.pki)
    assert [(e.name, e.reason) for e in report.entries if e.action == "reissued"] == [
        ("front-proxy-client", "its key is missing or does not match")
    ]
    key = certs.load_key((work.pki / "front-proxy-client.key").read_bytes(), "k")
    assert certs.key_matches(_load(work.pki / "front-proxy-client.crt"), key)


def test_unreadable_leaf_cert_is_reissued_with_its_key(
    generated: Generated, tmp_path: Path
) -> None:
    work = generated.copy(tmp_path)
    key_before = (work.pki / "apiserver-etcd-client.key").read_bytes()
    (work.pki / "apiserver-etcd-client.crt").write_bytes(b"garbage")
    report = ensure_pki(work.plan, work.pki)
    assert [(e.name, e.reason) for e in report.entries if e.action == "reissued"] == [
        ("apiserver-etcd-client", "the certificate was unreadable")
    ]
    assert (work.pki / "apiserver-etcd-client.key").read_bytes() == key_before


def test_missing_leaf_cert_is_created_again(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    (work.pki / "etcd/e1-peer.crt").unlink()
    report = ensure_pki(work.plan, work.pki)
    assert report.names("created") == ["etcd/e1-peer"]


def test_tampered_kubeconfig_is_written_again(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    original = (work.kubeconfig / "scheduler.conf").read_bytes()
    (work.kubeconfig / "scheduler.conf").write_bytes(original.replace(b"127.0.0.1", b"10.9.9.9"))
    report = ensure_pki(work.plan, work.pki)
    assert report.names("updated") == ["scheduler.conf"]
    assert (work.kubeconfig / "scheduler.conf").read_bytes() == original


def test_missing_sa_pub_is_derived_again_from_sa_key(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    key_before = (work.pki / "sa.key").read_bytes()
    (work.pki / "sa.pub").unlink()
    report = ensure_pki(work.plan, work.pki)
    assert report.names("updated") == ["sa"]
    assert (work.pki / "sa.key").read_bytes() == key_before
    assert (work.pki / "sa.pub").read_bytes() == generated.pki.joinpath("sa.pub").read_bytes()


def test_unreadable_sa_key_raises(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    (work.pki / "sa.key").write_bytes(b"garbage")
    with pytest.raises(PKIError, match=r"sa\.key is not a readable"):
        ensure_pki(work.plan, work.pki)


# -- CA changes ----------------------------------------------------------------------------


def _replace_ca(pki: Path, name: str) -> None:
    key = certs.generate_key("ecdsa")
    cert = certs.make_ca("kubernetes", key, now=datetime.now(UTC), validity=timedelta(days=3650))
    (pki / f"{name}.key").write_bytes(certs.key_to_pem(key))
    (pki / f"{name}.crt").write_bytes(certs.cert_to_pem(cert))


def test_changed_ca_refuses_without_force_and_writes_nothing(
    generated: Generated, tmp_path: Path
) -> None:
    work = generated.copy(tmp_path)
    _replace_ca(work.pki, "ca")
    before = _snapshot(work.root)
    with pytest.raises(PKIError) as err:
        ensure_pki(work.plan, work.pki)
    assert "ca: apiserver, apiserver-kubelet-client, clients/admin" in err.value.message
    assert "etcd/e1-server" not in err.value.message
    assert "force" in err.value.hint
    assert _snapshot(work.root) == before


def test_changed_ca_with_force_reissues_what_it_signs(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    _replace_ca(work.pki, "ca")
    report = ensure_pki(work.plan, work.pki, force=True)
    signed_by_ca = [name for name, row in KUBEADM.items() if row[0] == "ca"]
    assert set(report.names("reissued")) == set(signed_by_ca)
    assert set(report.names("updated")) == set(CONF_NAMES)
    for name in signed_by_ca:
        assert _openssl_verify(work.pki / "ca.crt", work.pki / f"{name}.crt").returncode == 0


def test_lost_ca_is_not_recreated_silently(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    (work.pki / "front-proxy-ca.crt").unlink()
    (work.pki / "front-proxy-ca.key").unlink()
    with pytest.raises(PKIError) as err:
        ensure_pki(work.plan, work.pki)
    # Nothing was written: the message must not claim a CA was created.
    assert err.value.message.endswith(
        "(front-proxy-ca.crt/.key missing, so a new CA would have to be made):"
        " front-proxy-ca: front-proxy-client; nothing was written"
    )
    assert "was just created" not in err.value.message
    assert not (work.pki / "front-proxy-ca.crt").exists()
    report = ensure_pki(work.plan, work.pki, force=True)
    assert report.names("created") == ["front-proxy-ca"]
    assert report.names("reissued") == ["front-proxy-client"]


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (lambda pki: (pki / "ca.key").unlink(), "ca.key is missing"),
        (lambda pki: (pki / "ca.crt").write_bytes(b"x"), "cannot be read"),
        (lambda pki: shutil.copy(pki / "etcd/ca.key", pki / "ca.key"), "key does not belong"),
        (lambda pki: shutil.copy(pki / "apiserver.crt", pki / "ca.crt"), "not a CA"),
    ],
    ids=["key-missing", "cert-garbage", "wrong-key", "leaf-as-ca"],
)
def test_broken_ca_raises_unless_forced(
    generated: Generated, tmp_path: Path, damage: object, fragment: str
) -> None:
    work = generated.copy(tmp_path)
    damage(work.pki)  # type: ignore[operator]  # the parametrized lambdas take the pki dir
    with pytest.raises(PKIError, match=fragment) as err:
        ensure_pki(work.plan, work.pki)
    assert err.value.hint
    report = ensure_pki(work.plan, work.pki, force=True)
    assert report.entries[0].name == "ca" and report.entries[0].action == "created"


def test_expired_ca_raises_and_force_replaces_it(tmp_path: Path) -> None:
    plan = make_plan(etcd=(), nodes=(), ca_validity=timedelta(days=2))
    ensure_pki(plan, tmp_path / "pki", now=datetime.now(UTC) - timedelta(days=3))
    with pytest.raises(PKIError, match="expired on"):
        ensure_pki(plan, tmp_path / "pki")
    report = ensure_pki(plan, tmp_path / "pki", force=True)
    assert report.names("created")[:3] == ["ca", "etcd/ca", "front-proxy-ca"]


def test_short_lived_ca_caps_leaves_and_warns(tmp_path: Path) -> None:
    plan = make_plan(etcd=(), nodes=(), ca_validity=timedelta(days=100))
    first = ensure_pki(plan, tmp_path / "pki")
    report = ensure_pki(plan, tmp_path / "pki")
    assert len(first.warnings) == len(report.warnings) == 3
    assert "plan a CA rotation" in report.warnings[0]
    leaf, ca = _load(tmp_path / "pki/apiserver.crt"), _load(tmp_path / "pki/ca.crt")
    assert leaf.not_valid_after_utc == ca.not_valid_after_utc


# -- key types, layout ---------------------------------------------------------------------


def test_rsa_pki_is_complete_and_verifies(tmp_path: Path) -> None:
    plan = make_plan(key_type="rsa")
    started = time.perf_counter()
    report = ensure_pki(plan, tmp_path / "pki")
    elapsed = time.perf_counter() - started
    assert elapsed < 60
    assert report.names("kept") == []
    for name, (ca, *_rest) in KUBEADM.items():
        cert = _load(tmp_path / "pki" / f"{name}.crt")
        public = cert.public_key()
        assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
        assert certs.cert_profile(cert).key_usages == ("digitalSignature", "keyEncipherment")
        assert (
            _openssl_verify(
                tmp_path / "pki" / f"{ca}.crt", tmp_path / "pki" / f"{name}.crt"
            ).returncode
            == 0
        )


def test_key_type_change_with_rekey_reissues_leaves_with_new_keys(
    generated: Generated, tmp_path: Path
) -> None:
    work = generated.copy(tmp_path)
    report = ensure_pki(make_plan(key_type="rsa", rekey=True, etcd=(), nodes=()), work.pki)
    assert "apiserver" in report.names("reissued")
    assert report.names("kept")[:4] == ["ca", "etcd/ca", "front-proxy-ca", "sa"]
    assert isinstance(_load(work.pki / "apiserver.crt").public_key(), rsa.RSAPublicKey)
    assert isinstance(_load(work.pki / "ca.crt").public_key(), ec.EllipticCurvePublicKey)


def test_kubeconfig_dir_can_be_chosen(tmp_path: Path) -> None:
    ensure_pki(make_plan(etcd=(), nodes=()), tmp_path / "pki", kubeconfig_dir=tmp_path / "confs")
    assert (tmp_path / "confs" / "admin.conf").is_file()
    assert not (tmp_path / "kubeconfig").exists()


def test_default_paths_put_kubeconfigs_next_to_pki(tmp_path: Path) -> None:
    paths = default_paths(tmp_path / "pki")
    assert paths == PKIPaths(tmp_path / "pki", tmp_path / "kubeconfig")
    assert paths.crt("etcd/ca") == tmp_path / "pki/etcd/ca.crt"
    assert paths.key("sa") == tmp_path / "pki/sa.key"
    assert paths.conf("admin.conf") == tmp_path / "kubeconfig/admin.conf"


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_other_key_type_without_rekey_keeps_every_file_byte_identical(
    generated: Generated, tmp_path: Path
) -> None:
    work = generated.copy(tmp_path)
    before = _tree(work.root)
    report = ensure_pki(make_plan(key_type="rsa"), work.pki)
    assert not report.changed
    assert _tree(work.root) == before


def test_new_keys_use_the_plan_key_type_next_to_kept_ones(
    generated: Generated, tmp_path: Path
) -> None:
    work = generated.copy(tmp_path)
    (work.pki / "front-proxy-client.crt").unlink()
    (work.pki / "front-proxy-client.key").unlink()
    report = ensure_pki(make_plan(key_type="rsa"), work.pki)
    assert report.names("created") == ["front-proxy-client"]
    assert isinstance(_load(work.pki / "front-proxy-client.crt").public_key(), rsa.RSAPublicKey)
    assert isinstance(_load(work.pki / "apiserver.crt").public_key(), ec.EllipticCurvePublicKey)


def test_external_etcd_plan_writes_no_etcd_ca_or_etcd_leaves(tmp_path: Path) -> None:
    report = ensure_pki(make_plan(etcd_pki=False, etcd=()), tmp_path / "pki")
    names = [entry.name for entry in report.entries]
    assert not (tmp_path / "pki" / "etcd").exists()
    assert not [n for n in names if "etcd" in n]
    assert (tmp_path / "pki" / "apiserver.crt").is_file()
