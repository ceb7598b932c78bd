"""kube-controller-manager stand-in: checks flags, signing and service-account keys and its
kubeconfigs, waits for the apiserver's ``/readyz``, then serves HTTPS ``/healthz`` on 10257.

While running it does what kubexm's flows wait for, without running any pod: every namespace
gets the ``default`` ServiceAccount and the ``kube-root-ca.crt`` ConfigMap (from
--root-ca-file); Deployments, StatefulSets and DaemonSets are marked rolled out (their status
says all replicas are ready; a DaemonSet counts every Node); kubelet client CSRs
(``kubernetes.io/kube-apiserver-client-kubelet``, subject ``O=system:nodes,
CN=system:node:<name>``) are approved, and approved CSRs of the kubelet signers are signed with
--cluster-signing-cert-file/--cluster-signing-key-file (csrapproving + csrsigning).
"""

from __future__ import annotations

import base64
import ipaddress
import re
import secrets
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import (
    ApiClient,
    Flags,
    check_ca_flags,
    check_cert_flags,
    check_delegated_auth,
    check_private_key_flag,
    client_kubeconfig,
    fail,
    flag_true,
    log,
    openssl_run,
    parse_flags,
    run_forever,
    sd_notify_ready,
    serve_secure_health,
    wait_for_readyz,
)

WORKLOADS = ("deployments", "statefulsets", "daemonsets")
CSR_PATH = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
CLIENT_KUBELET = "kubernetes.io/kube-apiserver-client-kubelet"
SIGNER_USAGES = {
    CLIENT_KUBELET: "clientAuth",
    "kubernetes.io/kubelet-serving": "serverAuth",
    "kubernetes.io/kube-apiserver-client": "clientAuth",
}


def kubelet_client_subject(request: bytes) -> bool:
    """The CSR asks for ``O=system:nodes, CN=system:node:<name>`` (what csrapproving allows)."""
    done = openssl_run(["req", "-noout", "-subject", "-nameopt", "RFC2253"], request)
    subject = done.stdout.decode(errors="replace").strip().removeprefix("subject=")
    parts = sorted(p.strip() for p in subject.split(","))
    return (
        len(parts) == 2 and parts[0].startswith("CN=system:node:") and parts[1] == "O=system:nodes"
    )


def sign_csr(request: bytes, signer: tuple[Path, Path], usage: str, days: int) -> bytes:
    """A certificate for PEM CSR ``request`` signed by ``signer`` (cert, key) for ``usage``;
    the CSR's other extensions (subjectAltNames) are copied (a kubelet serving cert needs them).
    """
    with tempfile.TemporaryDirectory(prefix="kcm-csr-") as tmp:
        req, ext = Path(tmp, "req.pem"), Path(tmp, "ext.cnf")
        req.write_bytes(request)
        ext.write_text(
            "basicConstraints=critical,CA:FALSE\n"
            f"keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage={usage}\n"
        )
        done = openssl_run(
            ["x509", "-req", "-in", str(req), "-CA", str(signer[0]), "-CAkey", str(signer[1]),
             "-set_serial", str(secrets.randbits(63)), "-days", str(days), "-sha256",
             "-copy_extensions", "copy", "-extfile", str(ext)]
        )  # fmt: skip
        if done.returncode != 0:
            raise OSError(f"signing failed: {done.stderr.decode(errors='replace')[-200:]}")
        return done.stdout


def signing_days(flags: Flags) -> int:
    """--cluster-signing-duration (Go duration, default 8760h) in whole days."""
    text = flags.get("cluster-signing-duration", "8760h")
    hours = sum(
        float(n) * {"h": 1, "m": 1 / 60, "s": 1 / 3600}[u]
        for n, u in re.findall(r"([\d.]+)([hms])", text)
    )
    return max(1, int(hours // 24))


def check_cidrs(flags: Flags) -> None:
    """--cluster-cidr, --service-cluster-ip-range and the node mask size fit together."""
    networks = []
    for cidr in filter(None, flags.get("cluster-cidr", "").split(",")):
        try:
            networks.append(ipaddress.ip_network(cidr.strip()))
        except ValueError:
            fail(f"--cluster-cidr: {cidr!r} is not a valid CIDR")
    for cidr in filter(None, flags.get("service-cluster-ip-range", "").split(",")):
        try:
            ipaddress.ip_network(cidr.strip())
        except ValueError:
            fail(f"--service-cluster-ip-range: {cidr!r} is not a valid CIDR")
    if flag_true(flags, "allocate-node-cidrs") and not networks:
        fail("--allocate-node-cidrs is true but --cluster-cidr is not set")
    for net in networks:
        name = "node-cidr-mask-size-ipv6" if net.version == 6 else "node-cidr-mask-size-ipv4"
        default = "64" if net.version == 6 else "24"
        mask = int(flags.get(name) or flags.get("node-cidr-mask-size") or default)
        if mask < net.prefixlen:
            fail(f"--{name}/--node-cidr-mask-size {mask} is smaller than the prefix of {net}")


def check_keys(flags: Flags) -> None:
    """The signing pair is a matching CA cert and key; the SA key and root CA load."""
    check_ca_flags(flags, "root-ca-file", "cluster-signing-cert-file")
    check_cert_flags(flags, "cluster-signing-cert-file", "cluster-signing-key-file")
    check_private_key_flag(flags, "service-account-private-key-file")


class Workloads:
    """The small amount of controller work the stand-in does (see the module docstring)."""

    def __init__(
        self, client: ApiClient, root_ca: str, signer: tuple[Path, Path] | None, days: int
    ) -> None:
        self.client = client
        self.root_ca = root_ca
        self.signer = signer
        self.days = days
        self.seen_namespaces: set[str] = set()

    def _namespaces(self) -> None:
        status, body = self.client.call("GET", "/api/v1/namespaces")
        for ns in (body or {}).get("items", []) if status == 200 else []:
            name, uid = ns["metadata"]["name"], ns["metadata"].get("uid", "")
            if uid in self.seen_namespaces:
                continue
            self.seen_namespaces.add(uid)
            self.client.call("POST", f"/api/v1/namespaces/{name}/serviceaccounts",
                             {"metadata": {"name": "default"}})  # fmt: skip
            if self.root_ca:
                self.client.call("POST", f"/api/v1/namespaces/{name}/configmaps",
                                 {"metadata": {"name": "kube-root-ca.crt"},
                                  "data": {"ca.crt": self.root_ca}})  # fmt: skip

    def _rolled_out(self, kind: str, obj: dict[str, Any], nodes: int) -> dict[str, Any]:
        generation = obj["metadata"].get("generation", 1)
        if kind == "daemonsets":
            return {"observedGeneration": generation, "desiredNumberScheduled": nodes,
                    "currentNumberScheduled": nodes, "numberReady": nodes,
                    "updatedNumberScheduled": nodes, "numberAvailable": nodes,
                    "numberMisscheduled": 0}  # fmt: skip
        replicas = int((obj.get("spec") or {}).get("replicas", 1))
        status = {"observedGeneration": generation, "replicas": replicas,
                  "readyReplicas": replicas, "updatedReplicas": replicas,
                  "availableReplicas": replicas, "currentReplicas": replicas}  # fmt: skip
        if kind == "deployments":
            status["conditions"] = [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
            ]
        return status

    def _workloads(self) -> None:
        status, nodes = self.client.call("GET", "/api/v1/nodes")
        count = len((nodes or {}).get("items", [])) if status == 200 else 0
        for kind in WORKLOADS:
            status, body = self.client.call("GET", f"/apis/apps/v1/{kind}")
            for obj in (body or {}).get("items", []) if status == 200 else []:
                wanted = self._rolled_out(kind, obj, count)
                if {k: (obj.get("status") or {}).get(k) for k in wanted} == wanted:
                    continue
                meta = obj["metadata"]
                path = f"/apis/apps/v1/namespaces/{meta['namespace']}/{kind}/{meta['name']}/status"
                self.client.call("PATCH", path, {"status": wanted}, "application/merge-patch+json")

    def _csrs(self) -> None:
        if self.signer is None:
            return
        status, body = self.client.call("GET", CSR_PATH)
        for csr in (body or {}).get("items", []) if status == 200 else []:
            spec, state = csr.get("spec") or {}, csr.get("status") or {}
            signer = spec.get("signerName")
            if state.get("certificate") or signer not in SIGNER_USAGES:
                continue
            request = base64.b64decode(str(spec.get("request", "")))
            conditions = [c.get("type") for c in state.get("conditions") or []]
            if "Denied" in conditions or "Failed" in conditions:
                continue
            if "Approved" not in conditions:
                if signer != CLIENT_KUBELET or not kubelet_client_subject(request):
                    continue
                approved = {"type": "Approved", "status": "True", "reason": "AutoApproved"}
                state["conditions"] = [{**approved, "message": "kubexm stand-in"}]
            state["certificate"] = base64.b64encode(
                sign_csr(request, self.signer, SIGNER_USAGES[signer], self.days)
            ).decode()
            name = csr["metadata"]["name"]
            self.client.call("PUT", f"{CSR_PATH}/{name}/status", {**csr, "status": state})
            log(f"approved and signed CSR {name} ({signer})")

    def loop(self) -> None:
        """Run the passes every two seconds; a failed pass is logged and retried."""
        while True:
            try:
                self._namespaces()
                self._workloads()
                self._csrs()
            except OSError as exc:
                log(f"controller pass failed: {exc}", "W")
            time.sleep(2)


def main(argv: list[str], version: str) -> int:
    """Check, wait for the apiserver, run the small controllers and serve health."""
    flags = parse_flags("kube-controller-manager", version, argv)
    check_cidrs(flags)
    check_keys(flags)
    check_delegated_auth(flags)
    kubeconfig = client_kubeconfig(flags)
    wait_for_readyz(kubeconfig, "kubeconfig")
    serve_secure_health(flags, 10257, "kube-controller-manager")
    root_ca = Path(flags["root-ca-file"]).read_text() if flags.get("root-ca-file") else ""
    signer = None
    if flags.get("cluster-signing-cert-file") and flags.get("cluster-signing-key-file"):
        signer = (Path(flags["cluster-signing-cert-file"]), Path(flags["cluster-signing-key-file"]))
    workloads = Workloads(ApiClient(kubeconfig), root_ca, signer, signing_days(flags))
    threading.Thread(target=workloads.loop, name="controllers", daemon=True).start()
    sd_notify_ready()
    return run_forever()
