"""HelmRelease and ensure_release: install once, unchanged while chart and values match."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_step_helpers import FakeHelm
from fakeconn import FakeConnection

from kubexm.connector.base import Result
from kubexm.errors import StepError
from kubexm.runner.host import Host
from kubexm.step.addons.release import (
    HelmRelease,
    ensure_release,
    ensure_uploaded,
    release_status,
    release_up_to_date,
    remote_chart,
    values_digest,
)

LOCAL = HelmRelease(
    "cilium", "kube-system", remote_chart("cilium-1.20.1.tgz"), "cilium", "1.20.1", "a: 1\n"
)


def setup() -> tuple[FakeConnection, FakeHelm]:
    fake = FakeConnection("m1")
    helm = FakeHelm({LOCAL.chart: "cilium-1.20.1", "metallb": "metallb-0.15.2"})
    helm.install(fake)
    return fake, helm


def test_install_args_of_a_local_archive_and_of_a_repository() -> None:
    assert LOCAL.install_args() == [
        "upgrade", "--install", "cilium", "/var/lib/kubexm/artifacts/charts/cilium-1.20.1.tgz",
        "-n", "kube-system", "--create-namespace",
        "-f", "/etc/kubexm/helm/kube-system/cilium.values.yaml", "--wait", "--timeout", "300s",
    ]  # fmt: skip
    repo = HelmRelease("lb", "ns", "metallb", "metallb", "0.15.2", repo="https://r", wait=False)
    assert repo.install_args()[-4:] == ["--repo", "https://r", "--version", "0.15.2"]


def test_values_digest_ignores_key_order_and_treats_null_as_empty() -> None:
    assert values_digest({"a": 1, "b": 2}) == values_digest({"b": 2, "a": 1})
    assert (
        values_digest(None)
        == values_digest({})
        == HelmRelease("n", "s", "c", "c", "1").values_digest()
    )


async def test_ensure_release_installs_once_then_changes_nothing() -> None:
    fake, helm = setup()

    first = await ensure_release(Host(fake), LOCAL)
    second = await ensure_release(Host(fake), LOCAL)

    assert first.changed and not second.changed
    assert len(helm.installs) == 1
    assert fake.files[LOCAL.values_path].mode == 0o600
    assert await release_status(Host(fake), LOCAL) == ("cilium-1.20.1", "deployed")


@pytest.mark.parametrize(
    "change",
    [
        HelmRelease("cilium", "kube-system", LOCAL.chart, "cilium", "1.20.1", "a: 2\n"),
        HelmRelease("cilium", "kube-system", LOCAL.chart, "cilium", "1.20.0", "a: 1\n"),
    ],
    ids=["values", "version"],
)
async def test_other_values_or_version_upgrade_the_release(change: HelmRelease) -> None:
    fake, helm = setup()
    await ensure_release(Host(fake), LOCAL)

    assert await release_up_to_date(Host(fake), change) is False
    await ensure_release(Host(fake), change)

    assert len(helm.installs) == 2


async def test_a_failed_release_is_installed_again() -> None:
    fake, helm = setup()
    await ensure_release(Host(fake), LOCAL)
    helm.releases[("kube-system", "cilium")].status = "failed"

    assert await release_up_to_date(Host(fake), LOCAL) is False


async def test_dry_run_installs_nothing() -> None:
    fake, helm = setup()

    result = await ensure_release(Host(fake, dry_run=True), LOCAL)

    assert result.changed and helm.installs == []
    assert LOCAL.values_path not in fake.files


async def test_helm_output_that_is_not_json_is_a_step_error() -> None:
    fake = FakeConnection("m1")
    fake.script("helm --kubeconfig", Result(0, "Error: garbage", ""))

    with pytest.raises(StepError, match="helm list"):
        await release_status(Host(fake), LOCAL)


async def test_ensure_uploaded_skips_a_matching_file(tmp_path: Path) -> None:
    archive = tmp_path / "c.tgz"
    archive.write_bytes(b"chart")
    fake = FakeConnection("m1")

    assert (await ensure_uploaded(Host(fake), archive, "/opt/c.tgz")).changed
    assert not (await ensure_uploaded(Host(fake), archive, "/opt/c.tgz")).changed
