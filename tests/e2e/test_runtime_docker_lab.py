"""The runtime module with ``containerRuntime.type: docker`` against a real lab host.

docker's static release cannot be downloaded here, so the test builds one: Debian 12's
``docker.io`` (dockerd 20.10), ``containerd``, ``runc`` and ``tini`` packages
(``apt-get download``) repacked into upstream's ``docker-<v>.tgz`` layout (``docker/dockerd``,
``docker/containerd``, ...), and ``containernetworking-plugins`` into the upstream CNI
tarball, all cached under /var/tmp/kubexm-h5. The image is a busybox OCI archive built the
way the test bundle builds its own. cri-dockerd is not packaged by Debian and cannot be had
here: ``installCRIDockerd: false`` (its units are golden-tested only).

One lab host gets docker installed by the module, loads the image and runs a container from
it; a second run changes nothing and does not restart docker. Everything is removed after.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from kubexm.config import LoadedConfig, load_text
from kubexm.engine import EngineOptions
from kubexm.engine.events import Status
from kubexm.engine.result import RunResult
from kubexm.engine.scheduler import Engine
from kubexm.lab import LabHost, RunningLab
from kubexm.module.runtime import RuntimeModule
from kubexm.plan import Graph
from kubexm.resource.model import ImageArtifact
from kubexm.resource.oci import image_archive_name, layer_from_files, write_oci_archive
from kubexm.runtime import RunContext, build
from kubexm.task.runtime import release_file
from kubexm.task.runtime_docker import DockerVersions, docker_runtime

pytestmark = pytest.mark.lab

CACHE = Path("/var/tmp/kubexm-h5")
DOCKER_VERSION = "20.10.24"  # Debian 12's docker.io
BUSYBOX_REF = "docker.io/library/kx-busybox:1"
#: Upstream tarball member -> (Debian package, path inside it).
DOCKER_LAYOUT = {
    "docker/dockerd": ("docker.io", "usr/sbin/dockerd"),
    "docker/docker": ("docker.io", "usr/bin/docker"),
    "docker/docker-proxy": ("docker.io", "usr/sbin/docker-proxy"),
    "docker/docker-init": ("tini", "usr/bin/tini-static"),
    "docker/containerd": ("containerd", "usr/bin/containerd"),
    "docker/containerd-shim-runc-v2": ("containerd", "usr/bin/containerd-shim-runc-v2"),
    "docker/ctr": ("containerd", "usr/bin/ctr"),
    "docker/runc": ("runc", "usr/sbin/runc"),
}
PACKAGES = (
    "docker.io",
    "containerd",
    "runc",
    "tini",
    "containernetworking-plugins",
    "busybox-static",
)
CLEANUP = (
    "systemctl stop docker.service docker.socket containerd.service >/dev/null 2>&1; "
    "systemctl disable docker.service docker.socket containerd.service >/dev/null 2>&1; "
    "rm -f /etc/systemd/system/docker.service /etc/systemd/system/docker.socket "
    "/etc/systemd/system/containerd.service; systemctl daemon-reload; "
    "find /var/lib/containerd -mindepth 1 -maxdepth 1 -exec rm -rf {} +; "
    "rm -rf /etc/docker /etc/containerd /opt/cni/bin /var/lib/kubexm/docker.applied "
    "/var/lib/kubexm/containerd.applied /var/lib/kubexm/artifacts/docker-* "
    "/var/lib/kubexm/artifacts/cni-plugins-* /var/lib/kubexm/artifacts/*.docker.tar; "
    "cd /usr/local/bin && rm -f dockerd docker docker-proxy docker-init containerd "
    "containerd-shim-runc-v2 ctr runc; groupdel docker >/dev/null 2>&1; true"
)


def _debs() -> Path:
    """The Debian packages, unpacked under the cache (downloaded once)."""
    root = CACHE / "root"
    if (root / ".done").is_file():
        return root
    debs = CACHE / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["apt-get", "download", *PACKAGES], cwd=debs, check=True,
                       capture_output=True, timeout=600)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot download the Debian docker packages: {exc}")
    for package in PACKAGES:
        (root / package).mkdir(parents=True, exist_ok=True)
        deb = next(debs.glob(f"{package}_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root / package)], check=True)
    (root / ".done").touch()
    return root


def _tarball(target: Path, members: dict[str, Path]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with tarfile.open(partial, "w:gz") as tar:
        for name, source in members.items():
            tar.add(source.resolve(), arcname=name)
    partial.rename(target)


def stock_artifacts(loaded: LoadedConfig, artifacts: Path) -> ImageArtifact:
    """docker and CNI plugin tarballs in their upstream form, and the busybox archive."""
    root = _debs()
    runtime = docker_runtime(loaded.cluster)
    assert runtime is not None
    v = DockerVersions(loaded.cluster, runtime)
    docker = {m: root / pkg / path for m, (pkg, path) in DOCKER_LAYOUT.items()}
    _tarball(release_file(artifacts, "docker", v.docker, "amd64", v.zone), docker)
    plugins = root / "containernetworking-plugins" / "usr/lib/cni"
    cni = {p.name: p for p in sorted(plugins.iterdir())}
    _tarball(release_file(artifacts, "cni-plugins", v.cni, "amd64", v.zone), cni)
    busybox = (root / "busybox-static" / "bin/busybox").read_bytes()
    links = {f"bin/{applet}": "busybox" for applet in ("sh", "echo", "cat")}
    layer = layer_from_files({"bin/busybox": busybox}, symlinks=links)
    (artifacts / "images").mkdir(parents=True, exist_ok=True)
    write_oci_archive(artifacts / "images" / image_archive_name(BUSYBOX_REF), BUSYBOX_REF,
                      {"amd64": layer})  # fmt: skip
    return ImageArtifact(BUSYBOX_REF, BUSYBOX_REF, "test", ("amd64",))


def docker_config(host: LabHost) -> LoadedConfig:
    """One lab host as master and worker with docker 20.10. Its data root is on the host's
    plain /var/lib/containerd bind (overlay2 cannot sit on the overlay root); the lab has no
    bridge netfilter, so docker's bridge and iptables rules are off (pods use CNI anyway)."""
    lines = ["apiVersion: kubexm.io/v1alpha1", "kind: Cluster", "metadata: {name: rt-docker}"]
    lines += ["spec:", "  global: {connectionTimeout: 10}", "  hosts:"]
    lines.append(
        f"    - {{name: {host.name}, address: {host.address}, port: {host.port}, user: root,"
        f' privateKeyPath: "{host.root_key_path}"}}'
    )
    lines += ["  roleGroups:", f"    master: [{host.name}]", f"    etcd: [{host.name}]"]
    lines += [f"    worker: [{host.name}]", "  kubernetes:", "    containerRuntime:"]
    lines += ["      type: docker", f'      version: "{DOCKER_VERSION}"', "      docker:"]
    lines += ["        installCRIDockerd: false", "        dataRoot: /var/lib/containerd/docker"]
    lines += ["        bridge: none", "        ipTables: false", "        ipMasq: false"]
    return load_text("\n".join(lines) + "\n", source="docker-lab.yaml")


async def run_module(ctx: RunContext, image: ImageArtifact) -> RunResult:
    fragment = RuntimeModule(images=[image]).plan(ctx)
    assert fragment is not None
    return await Engine(Graph.from_fragment(fragment, "runtime"), ctx, EngineOptions()).run()


async def active_since(ctx: RunContext, host: str) -> str:
    cmd = "systemctl show -p ActiveEnterTimestamp --value docker.service"
    return (await ctx.connection(host).run(cmd)).stdout.strip()


async def test_docker_runs_a_container_and_a_second_run_changes_nothing(
    lab: RunningLab, tmp_path: Path
) -> None:
    if shutil.which("apt-get") is None:
        pytest.skip("no apt-get: cannot fetch Debian's docker.io")
    host = lab.hosts[-1]
    loaded = docker_config(host)
    async with await build(loaded, work_dir=tmp_path) as ctx:
        image = stock_artifacts(loaded, ctx.work_dir.artifacts)
        conn = ctx.connection(host.name)
        try:
            started = time.monotonic()
            first = await run_module(ctx, image)
            seconds = time.monotonic() - started
            assert first.ok, [(o.node, o.message) for o in first.failed()]
            since = await active_since(ctx, host.name)
            run = f"docker run --rm --network none {BUSYBOX_REF} echo ok"
            assert (await conn.run(run, timeout=120)).stdout.strip() == "ok"
            info = await conn.run("docker info --format '{{.CgroupDriver}} {{.Driver}}'")
            assert info.stdout.split() == ["systemd", "overlay2"]

            second = await run_module(ctx, image)
            assert second.ok
            changed = [o.node for o in second.outcomes.values() if o.status == Status.CHANGED]
            assert changed == []
            assert await active_since(ctx, host.name) == since
            sys.stderr.write(f"\nruntime: docker {DOCKER_VERSION} on 1 host in {seconds:.1f} s\n")
        finally:
            await conn.run(CLEANUP, check=False, timeout=120)
