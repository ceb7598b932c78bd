"""WriteNodeLabels: missing labels and taints are added through the API, nothing removed."""

from __future__ import annotations

import json
import shlex

import pytest
from fakeconn import FAIL, OK, FakeConnection
from stepctx import Ctx, converge

from kubexm.connector.base import Result
from kubexm.errors import CommandError
from kubexm.step.kubernetes.write_node_labels import (
    Taint,
    WriteNodeLabels,
    missing_labels,
    missing_taints,
)

CONF = "/etc/kubernetes/super-admin.conf"
STEP = WriteNodeLabels(
    "w1",
    (("disk", "ssd"), ("node-role.kubernetes.io/worker", "")),
    (Taint("dedicated", "NoSchedule", "db"),),
    CONF,
    wait_seconds=2,
)


class Api:
    """One Node object answered by ``kubectl get node``; label and taint change it."""

    def __init__(self, fake: FakeConnection, registered: bool = True) -> None:
        self.node: dict[str, object] = {"metadata": {"labels": {"other": "x"}}, "spec": {}}
        self.registered = registered
        fake.script("get --raw /readyz", OK)
        fake.script(" get node w1 -o json", self.get)
        fake.script(" get node w1 -o name", lambda c, f: OK if self.registered else FAIL)
        fake.script(" label node w1 ", self.label)
        fake.script(" taint node w1 ", self.taint)

    def get(self, cmd: str, fake: FakeConnection) -> Result:
        return Result(0, json.dumps(self.node) if self.registered else "", "")

    def label(self, cmd: str, fake: FakeConnection) -> Result:
        labels = self.node["metadata"]["labels"]  # type: ignore[index]  # test data
        for pair in shlex.split(cmd)[shlex.split(cmd).index("--overwrite") + 1 :]:
            key, _, value = pair.partition("=")
            labels[key] = value
        return OK

    def taint(self, cmd: str, fake: FakeConnection) -> Result:
        spec = shlex.split(cmd)[-1]
        key_value, _, effect = spec.rpartition(":")
        key, _, value = key_value.partition("=")
        self.node["spec"] = {"taints": [{"key": key, "value": value, "effect": effect}]}
        return OK


async def test_labels_and_taints_a_registered_node_once() -> None:
    fake = FakeConnection("m1")
    api = Api(fake)
    await converge(STEP, Ctx(fake))
    labels = api.node["metadata"]["labels"]  # type: ignore[index]  # test data
    assert labels == {"other": "x", "disk": "ssd", "node-role.kubernetes.io/worker": ""}
    assert STEP.describe() == "Write node labels and taints of w1"


async def test_waits_for_registration_then_fails_with_a_kubelet_hint() -> None:
    fake = FakeConnection("m1")
    Api(fake, registered=False)
    assert await STEP.check(Ctx(fake)) is False
    with pytest.raises(CommandError) as err:
        await STEP.run(Ctx(fake))
    assert "journalctl -u kubelet" in err.value.hint


async def test_dry_run_before_the_control_plane_is_up_reports_a_change() -> None:
    fake = FakeConnection("m1")
    fake.script("get --raw /readyz", FAIL)
    assert await STEP.check(Ctx(fake)) is False


def test_missing_helpers_compare_values() -> None:
    node = {"metadata": {"labels": {"a": "1"}}, "spec": {"taints": [{"key": "k", "effect": "E"}]}}
    assert missing_labels(node, {"a": "1", "b": "2"}) == {"b": "2"}
    assert missing_labels(node, {"a": "2"}) == {"a": "2"}
    assert missing_taints(node, (Taint("k", "E"), Taint("k", "E", "v"))) == [Taint("k", "E", "v")]
    assert Taint("k", "E", "v").spec == "k=v:E" and Taint("k", "E").spec == "k:E"
