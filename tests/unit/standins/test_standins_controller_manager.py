"""The kube-controller-manager stand-in against the apiserver stand-in: checks, health on its
secure port, the small controller work (ServiceAccounts, root CA ConfigMap, rollout status,
kubelet CSR approval and signing).
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from standin_kit import Kubectl, Pki, Running, free_port, run_standin, start_component

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: dns, namespace: kube-system}
spec:
  replicas: 2
  selector: {matchLabels: {app: dns}}
  template:
    metadata: {labels: {app: dns}}
    spec: {containers: [{name: c, image: "x:1"}]}
"""


def kcm_args(pki: Pki, kubeconfig: Path, port: int) -> list[str]:
    p = pki.path
    flags = {
        "bind-address": "127.0.0.1", "secure-port": str(port), "cluster-cidr": "10.244.0.0/16",
        "allocate-node-cidrs": "true", "node-cidr-mask-size": "24", "cluster-name": "kubernetes",
        "cluster-signing-cert-file": p("ca.crt"), "cluster-signing-key-file": p("ca.key"),
        "cluster-signing-duration": "87600h", "kubeconfig": str(kubeconfig),
        "authentication-kubeconfig": str(kubeconfig), "authorization-kubeconfig": str(kubeconfig),
        "client-ca-file": p("ca.crt"), "requestheader-client-ca-file": p("front-proxy-ca.crt"),
        "root-ca-file": p("ca.crt"), "service-account-private-key-file": p("sa.key"),
        "service-cluster-ip-range": "10.96.0.0/12", "use-service-account-credentials": "true",
        "leader-elect": "true", "profiling": "false", "terminated-pod-gc-threshold": "10",
    }  # fmt: skip
    return [f"--{k}={v}" for k, v in flags.items()]


@pytest.fixture(scope="module")
def kcm(
    cluster: tuple[Running, Running],
    pki: Pki,
    standin_bin: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Running]:
    folder = tmp_path_factory.mktemp("kcm")
    config = pki.kubeconfig("controller-manager.conf", cluster[1].url, folder / "kcm.conf")
    port = free_port()
    running = start_component(
        standin_bin / "kube-controller-manager", kcm_args(pki, config, port), folder,
        f"https://127.0.0.1:{port}/healthz",
    )  # fmt: skip
    yield running
    running.stop()


def test_removed_flags_and_bad_inputs_fail(standin_bin: Path, pki: Pki, tmp_path: Path) -> None:
    binary = standin_bin / "kube-controller-manager"
    for flag in (
        "--pod-eviction-timeout=5m",
        "--port=0",
        "--experimental-cluster-signing-duration=1h",
    ):
        done = run_standin(binary, flag)
        assert (done.returncode, done.stderr) == (1, f"Error: unknown flag: {flag.split('=')[0]}\n")
    config = pki.kubeconfig("controller-manager.conf", "https://127.0.0.1:1", tmp_path / "c.conf")
    good = kcm_args(pki, config, 1)
    wrong_key = [*good, f"--cluster-signing-key-file={pki.path('front-proxy-ca.key')}"]
    done = run_standin(binary, *wrong_key)
    assert done.returncode == 1 and "does not match the certificate" in done.stderr
    small_mask = [*good, "--node-cidr-mask-size=8"]
    done = run_standin(binary, *small_mask)
    assert done.returncode == 1 and "smaller than the prefix" in done.stderr
    (tmp_path / "bad.conf").write_text("apiVersion: v1\nkind: Config\ncurrent-context: nope\n")
    no_context = [a for a in good if not a.startswith("--kubeconfig")]
    done = run_standin(binary, *no_context, f"--kubeconfig={tmp_path / 'bad.conf'}")
    assert done.returncode == 1 and "no context named 'nope'" in done.stderr


def test_health_service_accounts_and_root_ca(kcm: Running, kubectl: Kubectl) -> None:
    assert kcm.process.poll() is None
    kubectl.ok("create", "namespace", "team-a")
    kubectl.ok("wait", "--for=create", "serviceaccount/default", "-n", "team-a", "--timeout=20s")
    kubectl.ok(
        "wait", "--for=create", "configmap/kube-root-ca.crt", "-n", "team-a", "--timeout=20s"
    )


def test_deployments_are_marked_rolled_out(kcm: Running, kubectl: Kubectl) -> None:
    kubectl.ok("apply", "-f", "-", stdin=DEPLOYMENT)
    out = kubectl.ok("rollout", "status", "deploy/dns", "-n", "kube-system", "--timeout=30s")
    assert 'deployment "dns" successfully rolled out' in out


def test_kubelet_client_csr_is_approved_and_signed(
    kcm: Running, kubectl: Kubectl, pki: Pki, tmp_path: Path
) -> None:
    key, csr = tmp_path / "n.key", tmp_path / "n.csr"
    subprocess.run(
        ["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-subj", "/O=system:nodes/CN=system:node:w1",
         "-out", str(csr)],
        check=True, capture_output=True,
    )  # fmt: skip
    request = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
               "metadata": {"name": "node-csr-w1"},
               "spec": {"signerName": "kubernetes.io/kube-apiserver-client-kubelet",
                        "usages": ["digital signature", "client auth"],
                        "request": base64.b64encode(csr.read_bytes()).decode()}}  # fmt: skip
    kubectl.ok("create", "-f", "-", stdin=json.dumps(request))
    kubectl.ok("wait", "--for=jsonpath={.status.certificate}", "csr/node-csr-w1", "--timeout=30s")
    signed = json.loads(kubectl.ok("get", "csr", "node-csr-w1", "-o", "json"))
    cert = tmp_path / "n.crt"
    cert.write_bytes(base64.b64decode(signed["status"]["certificate"]))
    verify = subprocess.run(["openssl", "verify", "-CAfile", pki.path("ca.crt"), str(cert)],
                            capture_output=True, text=True)  # fmt: skip
    assert verify.returncode == 0, verify.stderr
    assert signed["status"]["conditions"][0]["type"] == "Approved"


def test_kubectl_certificate_approve_then_the_serving_csr_is_signed(
    kcm: Running, kubectl: Kubectl, tmp_path: Path
) -> None:
    key, csr = tmp_path / "s.key", tmp_path / "s.csr"
    subprocess.run(
        ["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-subj", "/O=system:nodes/CN=system:node:w2",
         "-addext", "subjectAltName=IP:10.0.0.12", "-out", str(csr)],
        check=True, capture_output=True,
    )  # fmt: skip
    request = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
               "metadata": {"name": "csr-serving-w2"},
               "spec": {"signerName": "kubernetes.io/kubelet-serving",
                        "usages": ["digital signature", "server auth"],
                        "request": base64.b64encode(csr.read_bytes()).decode()}}  # fmt: skip
    kubectl.ok("create", "-f", "-", stdin=json.dumps(request))
    assert kubectl.ok("certificate", "approve", "csr-serving-w2").endswith("approved\n")
    kubectl.ok(
        "wait", "--for=jsonpath={.status.certificate}", "csr/csr-serving-w2", "--timeout=30s"
    )
    signed = json.loads(kubectl.ok("get", "csr", "csr-serving-w2", "-o", "json"))
    cert = base64.b64decode(signed["status"]["certificate"])
    text = subprocess.run(["openssl", "x509", "-noout", "-text"], input=cert, capture_output=True)
    assert b"TLS Web Server Authentication" in text.stdout and b"10.0.0.12" in text.stdout
    assert signed["status"]["conditions"][0]["reason"] == "KubectlApprove"
