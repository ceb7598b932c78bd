"""InstallCniManifest: kept under /etc/kubexm/cni and applied once; a second run is a no-op."""

from __future__ import annotations

from cluster_step_helpers import FakeApi
from fakeconn import FakeConnection
from stepctx import Ctx, converge

from kubexm.step.cni.install_cni_manifest import InstallCniManifest

MANIFEST = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: calico-config, namespace: kube-system}\n"
)


async def test_applies_once_and_then_changes_nothing() -> None:
    fake, api = FakeConnection("m1"), FakeApi()
    api.install(fake)
    step = InstallCniManifest("calico", MANIFEST)

    await converge(step, Ctx(fake, host="m1"))

    assert fake.text("/etc/kubexm/cni/calico.yaml") == MANIFEST
    assert api.applied == [MANIFEST]
    assert step.describe() == "Install CNI manifest (calico)"


async def test_a_changed_manifest_is_applied_again() -> None:
    fake, api = FakeConnection("m1"), FakeApi()
    api.install(fake)
    await InstallCniManifest("flannel", MANIFEST).run(Ctx(fake, host="m1"))

    changed = InstallCniManifest("flannel", MANIFEST + "data: {a: b}\n")
    await converge(changed, Ctx(fake, host="m1"))

    assert len(api.applied) == 2
