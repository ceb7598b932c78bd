"""InstallAddonManifest: every manifest applied once, hooks only around an apply."""

from __future__ import annotations

from cluster_step_helpers import FakeApi
from fakeconn import OK, FakeConnection
from stepctx import Ctx, converge

from kubexm.step.addons.install_addon_manifest import InstallAddonManifest

A = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"
B = "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n"


async def test_applies_each_manifest_once_with_hooks() -> None:
    fake, api = FakeConnection("m1"), FakeApi()
    api.install(fake)
    fake.script("export KUBECONFIG=", OK)
    step = InstallAddonManifest("demo", (("demo a", A), ("demo b", B)), ("echo pre",), ())

    await converge(step, Ctx(fake, host="m1"))

    assert api.applied == [A, B]
    await step.run(Ctx(fake, host="m1"))
    assert api.applied == [A, B]
    assert sum(c.startswith("export KUBECONFIG=") for c in fake.ran) == 1
    assert step.describe() == "Install add-on manifests of demo"
