"""kube-scheduler stand-in: checks flags, its configuration and kubeconfigs, waits for the
apiserver's ``/readyz``, then serves HTTPS ``/healthz`` on 10259. It schedules nothing.
"""

from __future__ import annotations

from common import (
    Flags,
    check_delegated_auth,
    client_kubeconfig,
    fail,
    parse_flags,
    read_config_file,
    run_forever,
    sd_notify_ready,
    serve_secure_health,
    wait_for_readyz,
)

SCHEDULER_CONFIG_VERSIONS = ("kubescheduler.config.k8s.io/v1",)


def scheduler_config(flags: Flags) -> str | None:
    """Check --config (KubeSchedulerConfiguration); return its clientConnection.kubeconfig."""
    if not flags.get("config"):
        return None
    config = read_config_file("config", flags["config"])
    if config.get("apiVersion") not in SCHEDULER_CONFIG_VERSIONS:
        fail(f"--config {flags['config']}: no kind \"KubeSchedulerConfiguration\" is registered "
             f"for version {config.get('apiVersion')!r}")  # fmt: skip
    if config.get("kind") != "KubeSchedulerConfiguration":
        fail(f"--config {flags['config']}: kind is {config.get('kind')!r}")
    connection = config.get("clientConnection") or {}
    kubeconfig = connection.get("kubeconfig") if isinstance(connection, dict) else None
    return str(kubeconfig) if kubeconfig else None


def main(argv: list[str], version: str) -> int:
    """Check, wait for the apiserver, serve health until stopped."""
    flags = parse_flags("kube-scheduler", version, argv)
    config_kubeconfig = scheduler_config(flags)
    check_delegated_auth(flags)
    # with --config, the real scheduler ignores --kubeconfig and uses clientConnection.kubeconfig
    kubeconfig = client_kubeconfig({} if flags.get("config") else flags, config_kubeconfig)
    wait_for_readyz(kubeconfig, "kubeconfig")
    serve_secure_health(flags, 10259, "kube-scheduler")
    sd_notify_ready()
    return run_forever()
