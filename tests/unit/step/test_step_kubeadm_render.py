"""Rendering of the kubeadm configs (golden per API version) and the kubelet unit files."""

from __future__ import annotations

import dataclasses
import datetime
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from kubeadm_fakes import MASTER, MASTER2, WORKER, settings

from kubexm.errors import KubexmError
from kubexm.step.kubeadm.render import (
    EtcdSettings,
    JoinSecrets,
    ca_cert_hash,
    cluster_configuration,
    dump_documents,
    extra_args,
    init_configuration,
    join_configuration,
    kubeadm_api,
    render_file,
    render_init,
    render_join,
)
from kubexm.step.kubeadm.schema import V1BETA3, V1BETA4
from kubexm.util.yamlio import load_yaml_all

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "kubeadm"
#: Placeholders: real secrets never reach a golden file.
SECRETS = JoinSecrets("abcdef.0123456789abcdef", "0" * 64)
PIN = ("sha256:" + "12" * 32,)


def golden(name: str, text: str) -> None:
    """Compare with tests/golden/kubeadm/<name>; KUBEXM_UPDATE_GOLDEN=1 rewrites on purpose."""
    path = GOLDEN / name
    if os.environ.get("KUBEXM_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("version", "api"),
    [("1.30.9", V1BETA3), ("v1.30.0", V1BETA3), ("1.31.0", V1BETA4), ("1.36.4", V1BETA4)],
)
def test_kubeadm_api_switches_at_1_31(version: str, api: str) -> None:
    assert kubeadm_api(version) == api


@pytest.mark.parametrize("minor", [30, 36], ids=["v1beta3", "v1beta4"])
def test_configs_match_golden_per_api_version(minor: int) -> None:
    api = kubeadm_api(f"1.{minor}.0").rsplit("/", 1)[1]
    cs = settings(minor)
    golden(f"render-{api}-init.yaml", render_init(cs, MASTER))
    golden(f"render-{api}-join-master.yaml", render_join(cs, MASTER2, "lb:6443", PIN, SECRETS))
    golden(f"render-{api}-join-worker.yaml", render_join(cs, WORKER, "lb:6443", PIN, SECRETS))


def test_join_pins_the_ca_and_never_skips_its_verification() -> None:
    for node in (MASTER2, WORKER):
        text = render_join(settings(), node, "lb:6443", PIN, SECRETS)
        assert "unsafeSkipCAVerification" not in text
        boot = load_yaml_all(text)[0]["discovery"]["bootstrapToken"]
        assert boot["caCertHashes"] == list(PIN)


def test_only_masters_get_a_control_plane_section() -> None:
    master = join_configuration(settings(), MASTER2, "lb:6443", PIN, SECRETS)
    worker = join_configuration(settings(), WORKER, "lb:6443", PIN, SECRETS)
    assert master["controlPlane"]["certificateKey"] == "0" * 64
    assert "controlPlane" not in worker


def test_init_token_has_no_value_and_a_short_ttl() -> None:
    init = init_configuration(settings(), MASTER)
    (token,) = init["bootstrapTokens"]
    assert "token" not in token
    assert token["ttl"] == "15m0s"
    assert "certificateKey" not in init
    with_key = init_configuration(settings(), MASTER, certificate_key="9" * 64)
    assert with_key["certificateKey"] == "9" * 64


def test_extra_args_follow_the_api_version() -> None:
    args = {"b": "2", "a": "1"}
    assert extra_args(V1BETA3, args) == {"a": "1", "b": "2"}
    assert extra_args(V1BETA4, args) == [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]


def test_stacked_etcd_and_disabled_kube_proxy() -> None:
    etcd = EtcdSettings(False, image=("quay.io/coreos/etcd", "v3.6.14"))
    for minor in (30, 36):
        cs = dataclasses.replace(settings(minor), etcd=etcd, kube_proxy=None)
        doc = cluster_configuration(cs)
        assert doc["etcd"] == {
            "local": {
                "dataDir": "/var/lib/etcd",
                "imageRepository": "quay.io/coreos/etcd",
                "imageTag": "v3.6.14",
            }
        }
        text = render_init(cs, MASTER)
        assert "KubeProxyConfiguration" not in text
        if minor == 30:
            assert "addon/kube-proxy" in text
        else:
            assert doc["proxy"] == {"disabled": True}


def test_dump_documents_refuses_a_field_the_version_lacks() -> None:
    doc = cluster_configuration(settings())
    doc["apiServer"]["timeoutForControlPlane"] = "4m0s"
    with pytest.raises(KubexmError, match="timeoutForControlPlane"):
        dump_documents([doc])


def _ca() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(Encoding.PEM)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
def test_ca_cert_hash_matches_the_openssl_recipe(tmp_path: Path) -> None:
    pem = _ca()
    (tmp_path / "ca.crt").write_bytes(pem)
    recipe = (
        "openssl x509 -pubkey -noout -in ca.crt | openssl pkey -pubin -outform der"
        " | openssl dgst -sha256 -hex | sed 's/^.* //'"
    )
    out = subprocess.run(recipe, shell=True, cwd=tmp_path, capture_output=True, text=True)
    assert ca_cert_hash(pem) == "sha256:" + out.stdout.strip()


def test_ca_cert_hash_refuses_a_broken_ca() -> None:
    with pytest.raises(KubexmError, match="not a PEM certificate"):
        ca_cert_hash(b"nope")


def test_kubelet_unit_files_match_golden() -> None:
    golden(
        "kubelet.service",
        render_file(
            "kubelet.service.j2", bin_dir="/usr/local/bin", runtime_unit="containerd.service"
        ),
    )
    golden(
        "10-kubeadm.conf",
        render_file(
            "10-kubeadm.conf.j2",
            bin_dir="/usr/local/bin",
            kubelet_config="/var/lib/kubelet/config.yaml",
            kubeadm_flags_env="/var/lib/kubelet/kubeadm-flags.env",
            extra_args_file="/etc/default/kubelet",
        ),
    )
    golden("kubelet.env", render_file("kubelet.env.j2", extra_args=""))


def test_render_file_reports_a_missing_value() -> None:
    with pytest.raises(KubexmError, match="cannot render kubeadm template"):
        render_file("kubelet.env.j2")
