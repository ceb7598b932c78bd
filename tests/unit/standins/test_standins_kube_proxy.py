"""The kube-proxy stand-in: KubeProxyConfiguration checks, its kubeconfig, HTTP /healthz."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from standin_kit import Pki, Running, free_port, run_standin, start_component

CONFIG = """apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: {kubeconfig}   # written by kubexm
clusterCIDR: 10.244.0.0/16
mode: "{mode}"
healthzBindAddress: 127.0.0.1:{port}
iptables: {{masqueradeAll: false, masqueradeBit: 14, minSyncPeriod: 0s, syncPeriod: 30s}}
"""


def test_a_wrong_configuration_fails(standin_bin: Path, tmp_path: Path) -> None:
    binary = standin_bin / "kube-proxy"
    done = run_standin(binary, "--resource-container=/x")
    assert (done.returncode, done.stderr) == (1, "Error: unknown flag: --resource-container\n")
    config = tmp_path / "kp.yaml"
    config.write_text(CONFIG.format(kubeconfig="/x", mode="userspace", port=1))
    done = run_standin(binary, f"--config={config}")
    assert done.returncode == 1 and 'mode: Invalid value: "userspace"' in done.stderr
    config.write_text(CONFIG.format(kubeconfig="/x", mode="ipvs", port=1).replace("v1alpha1", "v1"))
    done = run_standin(binary, f"--config={config}")
    assert done.returncode == 1 and "kubeproxy.config.k8s.io/v1" in done.stderr


def test_healthz_after_the_apiserver_is_ready(
    cluster: tuple[Running, Running], pki: Pki, standin_bin: Path, tmp_path: Path
) -> None:
    kubeconfig = pki.kubeconfig("kube-proxy-master1.conf", cluster[1].url, tmp_path / "kp.conf")
    port = free_port()
    config = tmp_path / "kp.yaml"
    config.write_text(CONFIG.format(kubeconfig=kubeconfig, mode="ipvs", port=port))
    url = f"http://127.0.0.1:{port}/healthz"
    running = start_component(standin_bin / "kube-proxy", [f"--config={config}"], tmp_path, url)
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            assert set(json.load(response)) == {"lastUpdated", "currentTime"}
    finally:
        running.stop()
