"""``create cluster``, ``plan`` and ``kubeconfig``: options reach the run, results become
the summary and the exit code (0 done, 1 failed, 3 plan pending)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from preflight_sim import cluster_yaml
from tree_digest import tree_digest
from typer.testing import CliRunner, Result

from kubexm.cmd import cluster_cmd
from kubexm.cmd.execute import ExecuteOptions
from kubexm.cmd.state import CLIState, OutputFormat
from kubexm.config import load_text
from kubexm.engine import RunResult, RunStatus, Status
from kubexm.engine.result import NodeOutcome
from kubexm.errors import ArtifactError, KubexmError
from kubexm.pipeline.create_cluster import CreateClusterPipeline
from kubexm.plan import Fragment, Graph
from kubexm.resource.bundle import build_bundle
from kubexm.resource.bundle_manifest import Label
from kubexm.resource.model import ArtifactSet, FileArtifact


@dataclass(frozen=True)
class Noop:
    name: str
    title: str = "do nothing"

    def describe(self) -> str:
        return self.title

    def fingerprint(self) -> str:
        return self.name

    async def check(self, ctx: object) -> bool:
        return True

    async def run(self, ctx: object) -> None:
        return None


def graph() -> Graph:
    frag = Fragment("create-cluster")
    frag.chain([(Noop("os/write-hostname"), "m1"), (Noop("etcd/start-etcd"), "m1")])
    frag.add(Noop("os/write-hostname"), "w1")
    return Graph.from_fragment(frag)


def result(*statuses: Status, run: RunStatus = RunStatus.SUCCEEDED) -> RunResult:
    ids = ["os/write-hostname@m1", "etcd/start-etcd@m1", "os/write-hostname@w1"]
    outcomes = {
        nid: NodeOutcome(nid, nid.split("@")[1], nid.split("@")[0], s, 10.0, 12.5, 1, "")
        for nid, s in zip(ids, statuses, strict=False)
    }
    return RunResult("r1", "create-cluster", run, 10.0, 14.0, False, outcomes, hint="")


@dataclass
class FakeExecute:
    """Stands in for ``execute``: records the call, shows ``inspect`` the graph."""

    outcome: RunResult
    calls: list[tuple[CreateClusterPipeline, ExecuteOptions]] = field(default_factory=list)

    async def __call__(self, loaded: Any, pipeline: Any, options: Any, **kw: Any) -> RunResult:
        self.calls.append((pipeline, options))
        inspect = kw.get("inspect")
        if inspect is not None:
            ids = set(self.outcome.outcomes)
            inspect(object(), graph(), self.outcome)
            assert ids == set(graph().nodes) or ids < set(graph().nodes)
        return self.outcome


def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main(
        ctx: typer.Context,
        output: Annotated[OutputFormat, typer.Option("-o")] = OutputFormat.table,
    ) -> None:
        ctx.obj = CLIState(output=output)

    root.add_typer(cluster_cmd.create_app, name="create")
    root.command("plan")(cluster_cmd.plan_command)
    root.command("kubeconfig")(cluster_cmd.kubeconfig_command)
    return root


def invoke(tmp_path: Path, *args: str, pre: tuple[str, ...] = ()) -> Result:
    config = tmp_path / "cluster.yaml"
    config.write_text(cluster_yaml(["m1"], ["w1"]))
    argv = [*pre, *args, "-f", str(config), "--work-dir", str(tmp_path)]
    return CliRunner().invoke(app(), argv)


def use(monkeypatch: pytest.MonkeyPatch, outcome: RunResult) -> FakeExecute:
    fake = FakeExecute(outcome)
    monkeypatch.setattr(cluster_cmd, "execute", fake)
    return fake


def test_create_cluster_prints_the_summary_and_passes_the_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = use(monkeypatch, result(Status.CHANGED, Status.CHANGED, Status.UNCHANGED))

    out = invoke(
        tmp_path, "create", "cluster", "--skip-preflight", "--fail-fast",
        "--accept-new-host-keys",
    )  # fmt: skip

    assert out.exit_code == 0, out.output
    pipeline, options = fake.calls[0]
    assert pipeline.skip_preflight and options.fail_fast and options.accept_new_host_keys
    assert options.command == "create cluster" and not options.dry_run
    assert "cluster pf: succeeded in 4.0s (2 changed, 1 unchanged" in out.output
    assert "https://lb.kubexm.local:6443" in out.output
    assert str(tmp_path / "pf" / "kubeconfig" / "admin.conf") in out.output
    assert "os " in out.output and "etcd " in out.output


def test_create_cluster_failure_exits_one_and_names_the_step(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    failed = result(Status.CHANGED, Status.FAILED, run=RunStatus.FAILED)
    failed.outcomes["etcd/start-etcd@m1"].message = "etcd did not start"
    failed.hint = "re-run the same command to resume"
    use(monkeypatch, failed)

    out = invoke(tmp_path, "create", "cluster")

    assert out.exit_code == 1
    assert "failed: [m1] etcd/start-etcd: etcd did not start" in out.output
    assert "re-run the same command" in out.output


def test_create_cluster_json_output(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use(monkeypatch, result(Status.CHANGED))

    out = invoke(tmp_path, "create", "cluster", pre=("-o", "json"))

    doc = json.loads(out.output)
    assert doc["cluster"] == "pf" and doc["nodes"] == {"m1": ["master"], "w1": ["worker"]}
    assert doc["run"]["status"] == "succeeded"


def test_create_cluster_refuses_an_unknown_preflight_check(tmp_path: Path) -> None:
    out = invoke(tmp_path, "create", "cluster", "--skip", "nonsense")

    assert out.exit_code != 0
    assert "unknown preflight check" in str(out.exception)


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        ((Status.UNCHANGED, Status.UNCHANGED, Status.UNCHANGED), 0),
        ((Status.UNCHANGED, Status.WOULD_CHANGE, Status.UNCHANGED), 3),
        ((Status.FAILED, Status.BLOCKED, Status.UNCHANGED), 1),
    ],
    ids=["nothing-pending", "pending", "check-failed"],
)
def test_plan_exit_code_says_whether_anything_is_pending(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, statuses: tuple[Status, ...], code: int
) -> None:
    run = RunStatus.FAILED if Status.FAILED in statuses else RunStatus.SUCCEEDED
    fake = use(monkeypatch, result(*statuses, run=run))

    out = invoke(tmp_path, "plan")

    assert out.exit_code == code, out.output
    options = fake.calls[0][1]
    assert options.dry_run and options.fresh and options.command == "plan"
    assert "plan create-cluster: 3 steps on 2 hosts" in out.output
    assert f"[{statuses[1]}] etcd/start-etcd" in out.output


def test_plan_json_marks_every_node(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use(monkeypatch, result(Status.UNCHANGED, Status.WOULD_CHANGE, Status.UNCHANGED))

    out = invoke(tmp_path, "plan", pre=("-o", "json"))

    doc = json.loads(out.output)
    marks = {n["id"]: n["status"] for n in doc["plan"]["nodes"]}
    assert marks["etcd/start-etcd@m1"] == "would-change"
    assert out.exit_code == 3


def test_kubeconfig_prints_the_admin_kubeconfig(tmp_path: Path) -> None:
    conf = tmp_path / "pf" / "kubeconfig" / "admin.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("apiVersion: v1\nkind: Config\n")

    out = invoke(tmp_path, "kubeconfig")

    assert out.exit_code == 0 and out.output == "apiVersion: v1\nkind: Config\n"


def test_kubeconfig_as_json(tmp_path: Path) -> None:
    conf = tmp_path / "pf" / "kubeconfig" / "admin.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("apiVersion: v1\nkind: Config\nclusters:\n- name: pf\n")

    out = invoke(tmp_path, "kubeconfig", pre=("-o", "json"))

    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "pf"}],
    }


@pytest.mark.parametrize("command", [("create", "cluster"), ("plan",)])
def test_a_missing_bundle_is_a_usage_error_naming_the_option(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: tuple[str, ...]
) -> None:
    fake = use(monkeypatch, result(Status.CHANGED))

    out = invoke(tmp_path, *command, "--bundle", str(tmp_path / "absent.tar.gz"))

    assert out.exit_code == 2 and not fake.calls
    assert "--bundle" in out.output and "does not exist" in out.output


def test_kubeconfig_points_at_an_address_this_machine_reaches(tmp_path: Path) -> None:
    conf = tmp_path / "pf" / "kubeconfig" / "admin.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: pf\n  cluster:\n"
        "    server: https://lb.kubexm.local:6443\n"
    )

    out = invoke(tmp_path, "kubeconfig")

    # one master, no load balancer: the first master's address
    assert out.exit_code == 0, out.output
    assert "server: https://10.1.0.1:6443" in out.output
    assert "lb.kubexm.local" not in out.output
    assert "lb.kubexm.local" in conf.read_text(), "the file itself is left as it is"


def test_outside_server_prefers_the_vip() -> None:
    base = cluster_yaml(["m1", "m2", "m3"], ["w1"])
    vip = base + ("  controlPlaneEndpoint: {address: 10.1.0.100, internalLoadbalancer: kube-vip}\n")
    assert cluster_cmd.outside_server(load_text(vip).cluster) == "https://10.1.0.100:6443"
    external = (
        base + "  controlPlaneEndpoint: {address: 10.9.9.9, externalLoadBalancer: external}\n"
    )
    assert cluster_cmd.outside_server(load_text(external).cluster) == "https://10.9.9.9:6443"


def test_kubeconfig_without_a_cluster_says_how_to_make_one(tmp_path: Path) -> None:
    out = invoke(tmp_path, "kubeconfig")

    assert out.exit_code != 0
    assert isinstance(out.exception, KubexmError)
    assert "kubexm create cluster" in out.exception.hint


def _small_bundle(tmp_path: Path) -> tuple[Path, ArtifactSet]:
    """A bundle holding one etcd file, and the artifact set it was built for."""
    etcd = FileArtifact("etcd", "3.5.21", "amd64", "etcd", "https://example.invalid/etcd")
    cache = tmp_path / "src"
    (cache / etcd.cache_path).parent.mkdir(parents=True)
    (cache / etcd.cache_path).write_bytes(b"etcd binary")
    artifacts = ArtifactSet(files=(etcd,))
    out = tmp_path / "bundle.tar.gz"
    build_bundle(artifacts, cache, out, images_dir=cache / "images", os_dir=cache / "os")
    return out, artifacts


def test_create_from_a_bundle_lacking_artifacts_fails_before_any_host(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = use(monkeypatch, result(Status.CHANGED))
    bundle, _ = _small_bundle(tmp_path)

    out = invoke(tmp_path, "create", "cluster", "--bundle", str(bundle))

    assert isinstance(out.exception, ArtifactError)
    assert "lacks" in out.exception.message and "this config needs" in out.exception.message
    assert "image registry.k8s.io/pause" in out.exception.message
    assert fake.calls == []


def test_create_from_a_complete_bundle_runs_offline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundle, artifacts = _small_bundle(tmp_path)
    monkeypatch.setattr(cluster_cmd, "resolve_artifacts", lambda cluster: artifacts)
    seen: list[bool] = []

    async def execute(loaded: Any, pipeline: Any, options: Any, **kw: Any) -> RunResult:
        seen.append(loaded.cluster.spec.global_.offline_mode)
        return result(Status.CHANGED)

    monkeypatch.setattr(cluster_cmd, "execute", execute)

    out = invoke(tmp_path, "create", "cluster", "--bundle", str(bundle))

    assert out.exit_code == 0, out.output
    assert seen == [True]
    assert (tmp_path / "pf" / "artifacts" / "etcd" / "3.5.21" / "amd64" / "etcd").is_file()


# ------------------------------------------------- checks before anything reaches the cache

GOOD_ETCD = b"etcd binary"
PINNED = FileArtifact("etcd", "3.5.21", "amd64", "etcd", "u", hashlib.sha256(GOOD_ETCD).hexdigest())


def etcd_bundle(tmp_path: Path, body: bytes, label: Label = "upstream") -> Path:
    """A bundle holding one etcd file with ``body`` (built unpinned, so any body goes in)."""
    unpinned = dataclasses.replace(PINNED, sha256=None)
    cache = tmp_path / f"src-{label}-{len(body)}"
    (cache / unpinned.cache_path).parent.mkdir(parents=True)
    (cache / unpinned.cache_path).write_bytes(body)
    out = cache.with_suffix(".tar.gz")
    artifacts = ArtifactSet(files=(unpinned,))
    build_bundle(
        artifacts, cache, out, images_dir=cache / "i", os_dir=cache / "o", labels={"etcd": label}
    )
    return out


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> ArtifactSet:
    needs = ArtifactSet(files=(PINNED,))
    monkeypatch.setattr(cluster_cmd, "resolve_artifacts", lambda cluster: needs)
    return needs


@pytest.fixture
def cached(tmp_path: Path) -> Path:
    """The work dir's cache, already holding the good etcd."""
    artifacts = tmp_path / "pf" / "artifacts"
    (artifacts / PINNED.cache_path).parent.mkdir(parents=True)
    (artifacts / PINNED.cache_path).write_bytes(GOOD_ETCD)
    return artifacts


@pytest.mark.parametrize("extra", [(), ("--dry-run",)], ids=["run", "dry-run"])
def test_a_refused_bundle_leaves_the_cache_byte_identical(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    pinned: ArtifactSet,
    cached: Path,
    extra: tuple[str, ...],
) -> None:
    fake = use(monkeypatch, result(Status.CHANGED))
    bad = etcd_bundle(tmp_path, b"#!/bin/sh\nevil\n")
    before = tree_digest(cached)

    out = invoke(tmp_path, "create", "cluster", "--bundle", str(bad), *extra)

    assert isinstance(out.exception, ArtifactError)
    assert "differs from the pinned" in out.exception.message
    assert fake.calls == []
    assert tree_digest(cached) == before
    assert (cached / PINNED.cache_path).read_bytes() == GOOD_ETCD


@pytest.mark.parametrize("command", [("create", "cluster", "--dry-run"), ("plan",)])
def test_a_dry_run_reads_the_bundle_from_a_view_and_writes_no_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pinned: ArtifactSet, command: tuple[str]
) -> None:
    bundle = etcd_bundle(tmp_path, GOOD_ETCD)
    seen: list[tuple[Path | None, bytes]] = []

    async def execute(loaded: Any, pipeline: Any, options: Any, **kw: Any) -> RunResult:
        view = options.artifacts
        seen.append((view, (view / PINNED.cache_path).read_bytes()))
        outcome = result(Status.UNCHANGED)
        if kw.get("inspect") is not None:  # plan reads the graph
            kw["inspect"](object(), graph(), outcome)
        return outcome

    monkeypatch.setattr(cluster_cmd, "execute", execute)

    out = invoke(tmp_path, *command, "--bundle", str(bundle))

    assert out.exit_code == 0, out.output
    ((view, body),) = seen
    assert body == GOOD_ETCD and view is not None and not view.exists()
    assert not (tmp_path / "pf" / "artifacts").exists()


def test_stand_ins_are_refused_without_the_flag_and_accepted_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pinned: ArtifactSet
) -> None:
    use(monkeypatch, result(Status.CHANGED))
    bundle = etcd_bundle(tmp_path, b"#!/bin/sh\nevil\n", label="stand-in")

    refused = invoke(tmp_path, "create", "cluster", "--bundle", str(bundle))
    allowed = invoke(tmp_path, "create", "cluster", "--bundle", str(bundle), "--allow-standins")
    as_json = invoke(
        tmp_path, "create", "cluster", "--bundle", str(bundle), "--allow-standins",
        pre=("-o", "json"),
    )  # fmt: skip

    assert isinstance(refused.exception, ArtifactError)
    assert "etcd/3.5.21/amd64/etcd" in refused.exception.message
    assert "--allow-standins" in str(refused.exception.hint)
    assert allowed.exit_code == 0, allowed.output
    assert f"warning: 1 file in the bundle {bundle} is labelled stand-in" in allowed.stderr
    assert json.loads(as_json.stdout)["standins"] == ["etcd/3.5.21/amd64/etcd"]


def test_cached_files_are_checked_against_their_pins_without_a_bundle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pinned: ArtifactSet, cached: Path
) -> None:
    fake = use(monkeypatch, result(Status.CHANGED))
    assert invoke(tmp_path, "create", "cluster", "--dry-run").exit_code == 0
    assert not (cached / ".verified.json").exists(), "a dry run records nothing"
    (cached / PINNED.cache_path).write_bytes(b"a fake etcd")

    out = invoke(tmp_path, "create", "cluster")

    assert isinstance(out.exception, ArtifactError)
    assert f"{PINNED.cache_path}: sha256 " in out.exception.message
    assert len(fake.calls) == 1, "only the dry run ran"


def test_stand_ins_staged_earlier_need_the_flag_on_later_runs_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pinned: ArtifactSet
) -> None:
    fake = use(monkeypatch, result(Status.CHANGED))
    bundle = etcd_bundle(tmp_path, b"#!/bin/sh\nstand-in\n", label="stand-in")
    staged = invoke(tmp_path, "create", "cluster", "--bundle", str(bundle), "--allow-standins")
    assert staged.exit_code == 0, staged.output

    refused = invoke(tmp_path, "plan")
    allowed = invoke(tmp_path, "plan", "--allow-standins")

    assert isinstance(refused.exception, ArtifactError)
    assert "1 cached file is a stand-in" in refused.exception.message
    assert allowed.exit_code == 0, allowed.output
    assert "labelled stand-in and accepted (--allow-standins)" in allowed.stderr
    assert len(fake.calls) == 2
