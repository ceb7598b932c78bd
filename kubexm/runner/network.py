"""Ports and endpoints as seen from the host: what listens, and waiting for a TCP port or an
HTTPS health URL (with client certificates) to answer.
"""

from __future__ import annotations

from collections.abc import Iterable

from kubexm.runner.host import Host, poll_script
from kubexm.util.shell import quote


def parse_listening(stdout: str) -> frozenset[int]:
    """Ports from ``ss -ltnH`` output (local address is column 4: ``0.0.0.0:22``,
    ``[::]:6443``, ``*:80``, ``127.0.0.1%lo:53``)."""
    ports: set[int] = set()
    for line in stdout.splitlines():
        fields = line.split()
        if len(fields) >= 4:
            _, _, port = fields[3].rpartition(":")
            if port.isdigit():
                ports.add(int(port))
    return frozenset(ports)


async def get_listening_ports(host: Host) -> frozenset[int]:
    """Every TCP port something listens on. Raises ``CommandError`` when ``ss`` is missing."""
    result = await host.run("ss -ltnH")
    return parse_listening(result.stdout)


async def get_ports_in_use(host: Host, ports: Iterable[int]) -> list[int]:
    """The subset of ``ports`` already taken, sorted (a preflight check before installing)."""
    return sorted(set(ports) & await get_listening_ports(host))


async def wait_for_port(
    host: Host, port: int, *, timeout: float = 60.0, what: str | None = None
) -> None:
    """Return once something listens on TCP ``port`` on the host; raise ``CommandError``
    after ``timeout`` seconds. Records ``would wait`` in dry-run."""
    check = f"ss -ltnH | awk '{{print $4}}' | grep -qE ':{int(port)}$'"
    await host.wait(
        what or f"port {port}",
        poll_script(check, timeout),
        timeout=timeout,
        hint=f"the service behind port {port} did not start; check its logs on {host.name}",
    )


def curl_command(
    url: str, *, ca: str | None = None, cert: str | None = None, key: str | None = None
) -> str:
    """A quiet ``curl`` that fails on HTTP errors, with the given CA and client cert/key."""
    parts = ["curl", "-fsS", "-o", "/dev/null", "--max-time", "5"]
    if ca:
        parts += ["--cacert", ca]
    if cert:
        parts += ["--cert", cert]
    if key:
        parts += ["--key", key]
    return " ".join(quote(p) for p in [*parts, url])


async def wait_for_url(
    host: Host,
    url: str,
    *,
    ca: str | None = None,
    cert: str | None = None,
    key: str | None = None,
    timeout: float = 120.0,
) -> None:
    """Return once ``url`` answers 2xx/3xx from the host itself (curl with the given CA and
    client certificate paths on the host); raise ``CommandError`` after ``timeout``."""
    check = curl_command(url, ca=ca, cert=cert, key=key)
    await host.wait(
        f"{url} healthy",
        poll_script(check, timeout),
        timeout=timeout,
        hint=f"{url} did not become healthy; check the component's logs on {host.name}",
    )
