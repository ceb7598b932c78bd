"""kube-proxy stand-in: checks flags, the KubeProxyConfiguration of --config and the
kubeconfig it names, waits for the apiserver, then serves HTTP ``/healthz`` (10256). It
programs no iptables/IPVS/nftables rules and serves no ``/metrics``.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from common import (
    Flags,
    bind_server,
    client_kubeconfig,
    fail,
    listen_address,
    log,
    parse_flags,
    read_config_file,
    run_forever,
    sd_notify_ready,
    serve,
    wait_for_readyz,
)

PROXY_CONFIG_VERSION = "kubeproxy.config.k8s.io/v1alpha1"
PROXY_MODES = ("", "iptables", "ipvs", "nftables")


def proxy_config(flags: Flags) -> dict[str, Any]:
    """The checked KubeProxyConfiguration of --config (empty without --config)."""
    if not flags.get("config"):
        return {}
    path = flags["config"]
    config = read_config_file("config", path)
    if config.get("apiVersion") != PROXY_CONFIG_VERSION:
        fail(f'--config {path}: no kind "KubeProxyConfiguration" is registered for version '
             f"{config.get('apiVersion')!r}")  # fmt: skip
    if config.get("kind") != "KubeProxyConfiguration":
        fail(f"--config {path}: kind is {config.get('kind')!r}, not KubeProxyConfiguration")
    mode = config.get("mode") or ""
    if mode not in PROXY_MODES:
        fail(f'--config {path}: mode: Invalid value: "{mode}": must be one of '
             f"{', '.join(m for m in PROXY_MODES if m)}")  # fmt: skip
    for cidr in filter(None, str(config.get("clusterCIDR") or "").split(",")):
        try:
            ipaddress.ip_network(cidr.strip())
        except ValueError:
            fail(f"--config {path}: clusterCIDR: Invalid value: {cidr!r}")
    return config


class ProxyHealth(BaseHTTPRequestHandler):
    """``/healthz`` and ``/livez`` answering like kube-proxy (JSON with timestamps)."""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        now = datetime.datetime.now(datetime.UTC).isoformat()
        ok = path in ("/healthz", "/livez")
        body = json.dumps({"lastUpdated": now, "currentTime": now}).encode() if ok else b"404"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json" if ok else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def main(argv: list[str], version: str) -> int:
    """Check, wait for the apiserver, serve health until stopped."""
    flags = parse_flags("kube-proxy", version, argv)
    config = proxy_config(flags)
    connection = config.get("clientConnection") or {}
    kubeconfig = client_kubeconfig(flags, str(connection.get("kubeconfig") or "") or None)
    wait_for_readyz(kubeconfig, "kubeconfig")
    healthz = flags.get("healthz-bind-address") or str(config.get("healthzBindAddress") or "")
    address = listen_address(healthz or "0.0.0.0:10256", 10256)
    serve(bind_server(address, ProxyHealth, "healthz"), None, "healthz")
    log(f"kube-proxy stand-in ({config.get('mode') or 'iptables'} mode, no rules) healthz on "
        f"{address[0]}:{address[1]}")  # fmt: skip
    sd_notify_ready()
    return run_forever()
