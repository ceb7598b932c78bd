"""The kube-scheduler stand-in: flags, KubeSchedulerConfiguration, health on its secure port."""

from __future__ import annotations

from pathlib import Path

from standin_kit import Pki, Running, free_port, run_standin, start_component

CONFIG = """apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: {kubeconfig}
leaderElection:
  leaderElect: true
"""


def test_removed_flags_and_a_wrong_config_fail(standin_bin: Path, tmp_path: Path) -> None:
    binary = standin_bin / "kube-scheduler"
    for flag in ("--policy-config-file=x", "--address=0.0.0.0", "--scheduler-name=x"):
        done = run_standin(binary, flag)
        assert (done.returncode, done.stderr) == (1, f"Error: unknown flag: {flag.split('=')[0]}\n")
    old = tmp_path / "old.yaml"
    old.write_text(CONFIG.format(kubeconfig="/x").replace("/v1\n", "/v1beta2\n", 1))
    done = run_standin(binary, f"--config={old}")
    assert done.returncode == 1 and "v1beta2" in done.stderr
    done = run_standin(binary, f"--config={tmp_path / 'missing.yaml'}")
    assert done.returncode == 1 and "no such file" in done.stderr


def test_serves_health_once_the_apiserver_is_ready(
    cluster: tuple[Running, Running], pki: Pki, standin_bin: Path, tmp_path: Path
) -> None:
    kubeconfig = pki.kubeconfig("scheduler.conf", cluster[1].url, tmp_path / "scheduler.conf")
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(kubeconfig=kubeconfig))
    port = free_port()
    args = [f"--config={config}", "--bind-address=127.0.0.1", f"--secure-port={port}"]
    args += [
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
    ]
    running = start_component(
        standin_bin / "kube-scheduler", args, tmp_path, f"https://127.0.0.1:{port}/healthz"
    )
    try:
        assert "is ready" in running.log.read_text()
    finally:
        running.stop()
