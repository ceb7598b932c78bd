"""The runtime module against real lab hosts: containerd, runc and the CNI plugins from the
test bundle (in their upstream release form) installed on two hosts, the busybox image
imported, a container run on each; a second run changes nothing and does not restart
containerd. Everything installed is removed again in a ``finally``.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest

from kubexm.config import LoadedConfig, load_text
from kubexm.engine import EngineOptions
from kubexm.engine.events import Status
from kubexm.engine.result import RunResult
from kubexm.engine.scheduler import Engine
from kubexm.errors import CommandError
from kubexm.lab import LabHost, RunningLab
from kubexm.module.runtime import RuntimeModule
from kubexm.plan import Graph
from kubexm.resource.model import ImageArtifact
from kubexm.resource.oci import image_archive_name
from kubexm.runner.criconfig import ContainerdSettings
from kubexm.runner.host import Host
from kubexm.runtime import RunContext, build
from kubexm.step.runtime.write_containerd_config import WriteContainerdConfig
from kubexm.task.runtime import RuntimeVersions, containerd_runtime, release_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bundle"))
import build_test_bundle as testbundle

pytestmark = pytest.mark.lab

CONTAINERD_VERSION = "1.6.20"  # Debian 12's containerd, the one the test bundle carries
CLEANUP = (
    "systemctl disable --now containerd.service >/dev/null 2>&1; "
    "rm -f /etc/systemd/system/containerd.service; systemctl daemon-reload; "
    "find /var/lib/containerd -mindepth 1 -maxdepth 1 -exec rm -rf {} +; "
    "rm -rf /etc/containerd /opt/cni/bin /etc/crictl.yaml /var/lib/kubexm/containerd.applied "
    "/usr/local/bin/containerd /usr/local/bin/containerd-shim-runc-v2 /usr/local/bin/ctr "
    "/usr/local/sbin/runc /var/lib/kubexm/artifacts/containerd-* "
    "/var/lib/kubexm/artifacts/cni-plugins-* /var/lib/kubexm/artifacts/*.oci.tar"
)


def runtime_config(hosts: list[LabHost]) -> LoadedConfig:
    """Two lab hosts (a master and a worker) with containerd as the test bundle has it."""
    master, worker = hosts
    lines = ["apiVersion: kubexm.io/v1alpha1", "kind: Cluster", "metadata: {name: rt-cd}"]
    lines += ["spec:", "  global: {connectionTimeout: 10}", "  hosts:"]
    for h in hosts:
        lines.append(
            f"    - {{name: {h.name}, address: {h.address}, port: {h.port}, user: root,"
            f' privateKeyPath: "{h.root_key_path}"}}'
        )
    lines += ["  roleGroups:", f"    master: [{master.name}]", f"    etcd: [{master.name}]"]
    lines += [f"    worker: [{worker.name}]", "  kubernetes:", "    containerRuntime:"]
    lines += ["      type: containerd", f'      version: "{CONTAINERD_VERSION}"']
    return load_text("\n".join(lines) + "\n", source="runtime-lab.yaml")


def stock_artifacts(loaded: LoadedConfig, artifacts: Path) -> ImageArtifact:
    """Link the test bundle's release files where the product looks for them.

    containerd's version comes from the config; runc and the CNI plugins have no config
    field, so their BOM versions name the folders while the files are Debian's (runc 1.1.5,
    plugins 1.1.1), in the upstream file form the bundle builder repacks them into.
    """
    try:
        files, _, root, _ = testbundle.prepare()
    except testbundle.TestBundleUnavailable as exc:
        pytest.skip(f"no test bundle: {exc}")
    cluster = loaded.cluster
    runtime = containerd_runtime(cluster)
    assert runtime is not None
    versions = RuntimeVersions(cluster, runtime)
    wanted = {"containerd": versions.containerd, "runc": versions.runc, "cni-plugins": versions.cni}
    for item in files.files:
        if item.component in wanted:
            target = release_file(artifacts, item.component, wanted[item.component], "amd64", "")
            target.parent.mkdir(parents=True, exist_ok=True)
            # A copy, not a link: the SSH connector's SFTP put sends a symlink as a link.
            shutil.copy(root / "cache" / item.cache_path, target)
    (artifacts / "images").mkdir(parents=True, exist_ok=True)
    name = image_archive_name(testbundle.BUSYBOX_REF)
    shutil.copy(root / "images" / name, artifacts / "images" / name)
    return ImageArtifact(testbundle.BUSYBOX_REF, testbundle.BUSYBOX_REF, "test", ("amd64",))


async def run_module(ctx: RunContext, image: ImageArtifact) -> RunResult:
    fragment = RuntimeModule(images=[image]).plan(ctx)
    assert fragment is not None
    return await Engine(Graph.from_fragment(fragment, "runtime"), ctx, EngineOptions()).run()


async def a_rejected_config_leaves_containerd_running(ctx: RunContext, name: str) -> None:
    """A config containerd cannot load (a string where it wants a number, as a mistyped
    extraTomlConfig would give) is refused before it replaces the running one."""
    conn = ctx.connection(name)
    before = (await conn.run("sha256sum /etc/containerd/config.toml")).stdout
    bad = ContainerdSettings(version=CONTAINERD_VERSION, extra_toml='oom_score = "high"\n')
    step = WriteContainerdConfig(bad)
    with pytest.raises(CommandError) as caught:
        await step.ensure(Host(conn))
    assert "config dump" in caught.value.command
    assert (await conn.run("sha256sum /etc/containerd/config.toml")).stdout == before
    assert (await conn.run("systemctl is-active containerd")).stdout.strip() == "active"


async def active_since(ctx: RunContext, host: str) -> str:
    cmd = "systemctl show -p ActiveEnterTimestamp --value containerd.service"
    return (await ctx.connection(host).run(cmd)).stdout.strip()


async def test_containerd_runs_a_container_and_a_second_run_changes_nothing(
    lab: RunningLab, tmp_path: Path
) -> None:
    hosts = lab.hosts[2:4] if len(lab.hosts) >= 4 else lab.hosts[-2:]
    loaded = runtime_config(hosts)
    names = [h.name for h in hosts]
    async with await build(loaded, work_dir=tmp_path) as ctx:
        image = stock_artifacts(loaded, ctx.work_dir.artifacts)
        try:
            started = time.monotonic()
            first = await run_module(ctx, image)
            seconds = time.monotonic() - started
            assert first.ok, [(o.node, o.message) for o in first.failed()]
            since = {name: await active_since(ctx, name) for name in names}
            for name in names:
                run = "ctr -n k8s.io run --rm docker.io/library/kx-busybox:1 t1 echo ok"
                assert (await ctx.connection(name).run(run, timeout=60)).stdout.strip() == "ok"
                runc = await ctx.connection(name).run("stat -c %a /usr/local/sbin/runc")
                assert runc.stdout.strip() == "755"
                toml = await ctx.connection(name).run("cat /etc/containerd/config.toml")
                assert "SystemdCgroup = true" in toml.stdout
                assert 'config_path = "/etc/containerd/certs.d"' in toml.stdout

            await a_rejected_config_leaves_containerd_running(ctx, names[0])

            second = await run_module(ctx, image)
            assert second.ok
            changed = [o.node for o in second.outcomes.values() if o.status == Status.CHANGED]
            assert changed == []
            assert {name: await active_since(ctx, name) for name in names} == since
            sys.stderr.write(f"\nruntime: containerd on {len(names)} hosts in {seconds:.1f} s\n")
        finally:
            for name in names:
                await ctx.connection(name).run(CLEANUP, check=False, timeout=120)
