"""CheckExternalEtcd: every endpoint answers /health with the client certificates."""

from __future__ import annotations

import shlex

import pytest
from etcd_step_helpers import Ctx

from kubexm.connector.base import Result
from kubexm.errors import StepError
from kubexm.step.etcd.check_external_etcd import CheckExternalEtcd

STEP = CheckExternalEtcd(
    ("https://10.0.0.1:2379", "https://10.0.0.2:2379/"),
    "/etc/etcd/ca.pem",
    "/etc/etcd/client.pem",
    "/etc/etcd/client-key.pem",
)
HEALTHY = Result(0, '{"health":"true","reason":""}', "")


async def test_check_passes_when_every_endpoint_is_healthy() -> None:
    ctx = Ctx()
    ctx.conn.script("curl ", HEALTHY)

    assert await STEP.check(ctx) is True
    argv = shlex.split(ctx.conn.ran[1])
    assert argv[-1] == "https://10.0.0.2:2379/health"
    assert argv[argv.index("--key") + 1] == "/etc/etcd/client-key.pem"


async def test_run_names_each_unhealthy_endpoint() -> None:
    ctx = Ctx()
    ctx.conn.script("10.0.0.1", HEALTHY)
    ctx.conn.script("10.0.0.2", Result(35, "", "curl: (35) TLS handshake failed\n"))

    assert await STEP.check(ctx) is False
    with pytest.raises(StepError, match=r"10\.0\.0\.2:2379/: curl: \(35\)") as info:
        await STEP.run(ctx)
    assert "10.0.0.1" not in info.value.message
    assert "caFile" in (info.value.hint or "")


async def test_plain_http_endpoints_get_no_certificate_flags() -> None:
    step = CheckExternalEtcd(("http://10.0.0.1:2379",))
    assert "--cert" not in step.curl("http://10.0.0.1:2379")


async def test_run_passes_quietly_when_healthy() -> None:
    ctx = Ctx()
    ctx.conn.script("curl ", HEALTHY)
    await STEP.run(ctx)
    assert len(ctx.conn.ran) == 2, "one curl per endpoint"
