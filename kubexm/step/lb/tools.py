"""The load-balancer programs kubexm runs under systemd: unit, config path and mode, and the
command that validates a candidate config; and where each OS keeps nginx's stream module."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Where the nginx stream module lives per OS family (nginx-light/nginx-core load it dynamically).
STREAM_MODULES: Mapping[str, str] = {
    "debian": "/usr/lib/nginx/modules/ngx_stream_module.so",
    "rhel": "/usr/lib64/nginx/modules/ngx_stream_module.so",
}


@dataclass(frozen=True)
class LbTool:
    """One load-balancer program under systemd: its unit, config path, config mode and the
    command (``{path}`` is filled in) that validates a candidate config without touching the
    running service."""

    service: str
    path: str
    mode: int
    check: str


TOOLS: Mapping[str, LbTool] = {
    "haproxy": LbTool("haproxy", "/etc/haproxy/haproxy.cfg", 0o644, "haproxy -c -q -f {path}"),
    "nginx": LbTool("nginx", "/etc/nginx/nginx.conf", 0o644, "nginx -t -q -c {path}"),
    # keepalived.conf carries the VRRP password: root only.
    "keepalived": LbTool(
        "keepalived", "/etc/keepalived/keepalived.conf", 0o600, "keepalived -t -f {path}"
    ),
}
