"""The kube-apiserver stand-in, driven by the real kubectl from the test bundle.

It runs on 127.0.0.1 against the bundle's real etcd (mutual TLS, kubexm's PKI) with the flags of
kubexm's binary mode; without the test bundle these tests skip.
"""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from standin_kit import (
    VERSION,
    Kubectl,
    Pki,
    Running,
    Tools,
    apiserver_argv,
    start_apiserver,
    start_etcd,
)

MANIFEST = """apiVersion: v1
kind: Namespace
metadata: {name: demo}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: demo, labels: {app: web}}
data: {a: "1"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: c
          image: IMAGE
          command: [sleep, "3600"]
        - {name: d, image: IMAGE}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: demo}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wg]}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
"""
NODE = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {"name": "n1", "labels": {"node-role.kubernetes.io/control-plane": ""}},
    "status": {
        "conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady"}],
        "nodeInfo": {"kubeletVersion": VERSION},
    },
}


def manifest(replicas: int, image: str) -> str:
    return MANIFEST.replace("REPLICAS", str(replicas)).replace("IMAGE", image)


def run_apiserver(standin_bin: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(standin_bin / "kube-apiserver"), *args], capture_output=True, text=True, timeout=60
    )


def test_version_and_unknown_flags_like_the_real_binary(standin_bin: Path) -> None:
    assert run_apiserver(standin_bin, "--version").stdout == f"Kubernetes {VERSION}\n"
    for flag in ("--insecure-port=0", "--logtostderr", "--kubelet-https=true", "--no-such"):
        done = run_apiserver(standin_bin, flag)
        name = flag.split("=")[0]
        assert (done.returncode, done.stderr) == (1, f"Error: unknown flag: {name}\n")


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        pytest.param("etcd-certfile", "apiserver.crt", "--etcd-certfile", id="etcd-cert-wrong-ca"),
        pytest.param(
            "kubelet-client-certificate", "front-proxy-client.crt", "does not chain", id="kubelet"
        ),
        pytest.param(
            "proxy-client-cert-file", "apiserver-kubelet-client.crt", "does not chain", id="proxy"
        ),
        pytest.param("tls-private-key-file", "sa.key", "does not match", id="key-mismatch"),
        pytest.param("client-ca-file", "missing.crt", "no such file", id="missing-ca"),
    ],
)
def test_a_certificate_that_does_not_chain_or_match_fails(
    standin_bin: Path, pki: Pki, flag: str, value: str, message: str
) -> None:
    argv = apiserver_argv(pki, "https://127.0.0.1:1", 1)
    argv = [a for a in argv if not a.startswith(f"--{flag}=")] + [f"--{flag}={pki.path(value)}"]
    done = run_apiserver(standin_bin, *argv)
    assert done.returncode == 1
    assert f"--{flag}" in done.stderr and message in done.stderr


def test_unreachable_etcd_fails_after_the_storage_timeout(standin_bin: Path, pki: Pki) -> None:
    argv = [*apiserver_argv(pki, "https://127.0.0.1:1", 1), "--storage-initialization-timeout=1s"]
    done = run_apiserver(standin_bin, *argv)
    assert done.returncode == 1 and "cannot reach etcd" in done.stderr


def test_health_version_and_default_namespaces(kubectl: Kubectl) -> None:
    assert kubectl.ok("get", "--raw", "/readyz") == "ok"
    assert "[+]etcd ok" in kubectl.ok("get", "--raw", "/readyz?verbose")
    assert kubectl.ok("get", "--raw", "/livez") == "ok"
    assert f"Server Version: {VERSION}" in kubectl.ok("version")
    names = kubectl.ok("get", "ns", "-o", "jsonpath={.items[*].metadata.name}").split()
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= set(names)
    groups = json.loads(kubectl.ok("get", "--raw", "/apis"))["groups"]
    assert {"apps", "rbac.authorization.k8s.io", "apiextensions.k8s.io", "storage.k8s.io",
            "policy", "networking.k8s.io", "coordination.k8s.io", "batch", "scheduling.k8s.io",
            "admissionregistration.k8s.io"} <= {g["name"] for g in groups}  # fmt: skip


def test_apply_diff_and_reapply_converge(kubectl: Kubectl) -> None:
    first = manifest(2, "busybox:1")
    created = kubectl.ok("apply", "-f", "-", stdin=first)
    assert "deployment.apps/web created" in created and "widgets.example.com created" in created
    assert "unchanged" in kubectl.ok("apply", "-f", "-", stdin=first)
    assert kubectl("diff", "-f", "-", stdin=first).returncode == 0
    second = manifest(3, "busybox:2")
    diff = kubectl("diff", "-f", "-", stdin=second)
    assert diff.returncode == 1 and "+  replicas: 3" in diff.stdout
    assert (
        kubectl.ok("get", "deploy", "-n", "demo", "web", "-o", "jsonpath={.spec.replicas}") == "2"
    )
    assert "deployment.apps/web configured" in kubectl.ok("apply", "-f", "-", stdin=second)
    deploy = json.loads(kubectl.ok("get", "deploy", "-n", "demo", "web", "-o", "json"))
    containers = deploy["spec"]["template"]["spec"]["containers"]
    assert [c["image"] for c in containers] == ["busybox:2", "busybox:2"]
    assert containers[0]["command"] == ["sleep", "3600"]  # strategic merge kept the rest
    assert deploy["metadata"]["generation"] == 2 and deploy["metadata"]["uid"]
    service = json.loads(kubectl.ok("get", "svc", "-n", "demo", "web", "-o", "json"))
    assert service["spec"]["clusterIP"].startswith("10.")
    # typed kubectl commands send protobuf bodies
    kubectl.ok("create", "configmap", "typed", "-n", "demo", "--from-literal=k=v")
    kubectl.ok("create", "secret", "generic", "pw", "-n", "demo", "--from-literal=p=s3cret")
    assert kubectl.ok("get", "cm", "typed", "-n", "demo", "-o", "jsonpath={.data.k}") == "v"
    encoded = kubectl.ok("get", "secret", "pw", "-n", "demo", "-o", "jsonpath={.data.p}")
    assert base64.b64decode(encoded) == b"s3cret"
    invalid = kubectl("create", "namespace", "Not_Valid")
    assert invalid.returncode == 1 and "metadata.name: Invalid value" in invalid.stderr
    huge = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "huge", "annotations": {
        "a": "x" * 300000}}}  # fmt: skip
    too_long = kubectl("create", "-f", "-", stdin=json.dumps(huge))
    assert too_long.returncode == 1 and "Too long" in too_long.stderr


def test_custom_resources_and_server_side_apply(kubectl: Kubectl) -> None:
    kubectl.ok("apply", "-f", "-", stdin=manifest(2, "busybox:1"))
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: demo}\n"
    dry = kubectl.ok("apply", "--server-side", "--dry-run=server", "-f", "-", stdin=widget)
    assert "serverside-applied (server dry run)" in dry
    assert kubectl("get", "wg", "-n", "demo", "w1").returncode != 0
    assert "serverside-applied" in kubectl.ok("apply", "--server-side", "-f", "-", stdin=widget)
    assert kubectl.ok("get", "widgets", "-A", "-o", "name") == "widget.example.com/w1\n"


def test_nodes_registered_patched_and_waited_for(kubectl: Kubectl) -> None:
    assert kubectl.ok("create", "-f", "-", stdin=json.dumps(NODE)) == "node/n1 created\n"
    waiting = subprocess.Popen(
        [str(kubectl.binary), f"--cache-dir={kubectl.cache}", f"--kubeconfig={kubectl.kubeconfig}",
         "wait", "--for=condition=Ready", "node/n1", "--timeout=30s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    ready = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    kubectl.ok(
        "patch", "node", "n1", "--subresource=status", "--type=merge", "-p", json.dumps(ready)
    )
    out, err = waiting.communicate(timeout=40)
    assert waiting.returncode == 0, err
    assert out.strip() == "node/n1 condition met"
    table = kubectl.ok("get", "nodes").splitlines()
    assert table[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert table[1].split()[:3] == ["n1", "Ready", "control-plane"]
    assert table[1].split()[4] == VERSION
    pods = json.loads(kubectl.ok("get", "pods", "-A", "-o", "json"))
    assert pods["kind"] == "List" and pods["items"] == []


def _get(url: str, context: ssl.SSLContext, token: str = "") -> int:
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {token}"} if token else {}
    )
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_authentication_anonymous_and_bootstrap_tokens(
    kubectl: Kubectl, cluster: tuple[Running, Running], pki: Pki
) -> None:
    url = cluster[1].url
    anonymous = ssl.create_default_context(cafile=pki.path("ca.crt"))
    assert _get(f"{url}/version", anonymous) == 200
    assert _get(f"{url}/api/v1/namespaces", anonymous) == 403
    data = {"token-id": "abcdef", "token-secret": "0123456789abcdef",
            "usage-bootstrap-authentication": "true"}  # fmt: skip
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "bootstrap.kubernetes.io/token",
              "metadata": {"name": "bootstrap-token-abcdef", "namespace": "kube-system"},
              "data": encoded}  # fmt: skip
    kubectl.ok("create", "-f", "-", stdin=json.dumps(secret))
    assert _get(f"{url}/api/v1/nodes", anonymous, "abcdef.0123456789abcdef") == 200
    assert _get(f"{url}/api/v1/nodes", anonymous, "abcdef.0123456789abcdeX") == 401


def test_two_apiservers_share_objects_and_readyz_follows_etcd(
    tools: Tools, pki: Pki, standin_bin: Path, tmp_path: Path
) -> None:
    etcd = start_etcd(tools, pki, tmp_path)
    try:
        one = start_apiserver(standin_bin, pki, etcd.url, tmp_path)
        two = start_apiserver(standin_bin, pki, etcd.url, tmp_path)
        try:
            kubectl_one = Kubectl(
                tools.kubectl,
                pki.kubeconfig("admin.conf", one.url, tmp_path / "a1"),
                tmp_path / "c1",
            )
            kubectl_two = Kubectl(
                tools.kubectl,
                pki.kubeconfig("admin.conf", two.url, tmp_path / "a2"),
                tmp_path / "c2",
            )
            kubectl_one.ok("create", "configmap", "shared", "--from-literal=k=v")
            assert kubectl_two.ok("get", "cm", "shared", "-o", "jsonpath={.data.k}") == "v"
            etcd.stop()
            down = kubectl_two("get", "--raw", "/readyz")
            assert down.returncode != 0 and "etcd failed" in down.stderr + down.stdout
        finally:
            one.stop()
            two.stop()
    finally:
        etcd.stop()
