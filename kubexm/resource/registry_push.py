"""Push the images a cluster needs from their OCI archives into a private registry.

The archives come from the artifact cache (``kubexm download`` pulls them into
``<artifacts>/images``) or from a staged bundle; each goes to its target, the image rewritten
onto the registry like the cluster will reference it (``resolve``: ``privateRegistry`` with
``namespaceRewrite`` or ``namespaceOverride``), with ``skopeo copy --multi-arch all``. Before
copying, the target's top manifest is read (``skopeo inspect --raw``) and hashed: when it
already has the archive's digest the image is left alone, so a second push copies nothing.
skopeo copies an OCI archive's manifests unchanged to a registry that accepts OCI media types
(distribution 2.x, Harbor, Quay...), which is what makes the two digests comparable.

Credentials for the registry (``spec.registry.auths[<host>]``) reach skopeo only through a
temporary auth file (mode 0600 in a private temporary folder, removed afterwards): never in
argv, and every message taken from skopeo is masked with them. Without credentials skopeo
uses its own auth files (``skopeo login``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.errors import ArtifactError, CommandError, KubexmError
from kubexm.util.redact import redact

from .bundle_manifest import BundleManifest
from .model import ImageArtifact
from .oci import (
    image_archive_name,
    inspect_argv,
    push_argv,
    read_oci_archive,
    run_skopeo,
    run_skopeo_bytes,
)
from .resolve import resolve_artifacts

log = logging.getLogger(__name__)

PRIVATE_REGISTRY_FIELD = "spec.registry.mirroring.privateRegistry"
DEFAULT_JOBS = 4
INSPECT_TIMEOUT = 120.0
PUSH_TIMEOUT = 1800.0
PushStatus = Literal["pushed", "unchanged", "would-push", "failed"]
# How registries say "no such tag or repository" (distribution, Harbor, Quay) through skopeo.
_ABSENT = re.compile(r"manifest unknown|name unknown|not known to registry|not found", re.I)
_SKOPEO_MSG = re.compile(r'msg="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class RegistryAccess:
    """How skopeo reaches one registry; ``repr`` never shows the credentials."""

    host: str
    username: str = ""
    password: str = field(default="", repr=False)
    auth: str = field(default="", repr=False)  # base64 of user:password, as in an auth file
    tls_verify: bool = True
    cert_dir: Path | None = None

    def auth_value(self) -> str:
        """The auth file's ``auth`` value (base64 ``user:password``); '' without credentials."""
        if self.auth:
            return self.auth
        if self.username and self.password:
            return base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return ""

    def secrets(self) -> tuple[str, ...]:
        """Every form of the credentials a message could carry."""
        value = self.auth_value()
        found = [self.password, value]
        if value:
            with contextlib.suppress(ValueError):  # not base64 of text: nothing more to mask
                pair = base64.b64decode(value).decode()
                found += [pair, pair.partition(":")[2]]
        return tuple(secret for secret in found if secret)

    def mask(self, text: str) -> str:
        """``text`` with every credential replaced by ``******``."""
        return redact(text, self.secrets())


def registry_access(cluster: Cluster, host: str) -> RegistryAccess:
    """The access to ``host`` that ``spec.registry.auths[host]`` describes (the key must match
    exactly); anonymous with TLS verified when there is no entry. ``plainHTTP`` and
    ``skipTLSVerify`` both turn verification off (skopeo then also falls back to HTTP)."""
    entry = cluster.spec.registry.auths.get(host)
    if entry is None:
        return RegistryAccess(host)
    return RegistryAccess(
        host,
        username=entry.username or "",
        password=entry.password.get_secret_value() if entry.password else "",
        auth=entry.auth.get_secret_value() if entry.auth else "",
        tls_verify=not (entry.plain_http or entry.skip_tls_verify),
        cert_dir=Path(entry.certs_path) if entry.certs_path else None,
    )


def images_to_push(cluster: Cluster, registry: str) -> tuple[ImageArtifact, ...]:
    """Every image ``cluster`` needs, for all its hosts' arches, with its target on
    ``registry``: one entry per source (purposes joined), sorted by target.

    Raises ``ArtifactError`` when the images cannot be resolved, or when two sources would
    land on one target (a ``namespaceOverride`` that folds two repositories into one name).
    """
    on_registry = cluster.model_copy(deep=True)
    on_registry.spec.registry.mirroring.private_registry = registry
    arches: dict[tuple[str, str], set[str]] = defaultdict(set)
    purposes: dict[tuple[str, str], set[str]] = defaultdict(set)
    for image in resolve_artifacts(on_registry).images:
        arches[(image.source, image.target)].update(image.arches)
        purposes[(image.source, image.target)].add(image.purpose)
    _refuse_clashes(list(arches))
    images = []
    for (source, target), found in arches.items():
        purpose = ",".join(sorted(purposes[(source, target)]))
        images.append(ImageArtifact(source, target, purpose, tuple(sorted(found))))
    return tuple(sorted(images, key=lambda image: image.target))


def _refuse_clashes(pairs: list[tuple[str, str]]) -> None:
    sources: dict[str, list[str]] = defaultdict(list)
    for source, target in sorted(pairs):
        sources[target].append(source)
    clashes = [
        f"{target} <- {', '.join(found)}" for target, found in sources.items() if len(found) > 1
    ]
    if clashes:
        raise ArtifactError(
            "images would overwrite each other in the registry: " + "; ".join(clashes),
            "set spec.registry.mirroring.namespaceOverride so they differ, or remove it",
        )


@dataclass(frozen=True)
class PushItem:
    """One image ready to push: its archive and the archive's top manifest digest."""

    image: ImageArtifact
    archive: Path
    digest: str


def archive_path(image: ImageArtifact, artifacts: Path, manifest: BundleManifest | None) -> Path:
    """Where the archive of ``image`` is: ``<artifacts>/images/<image_archive_name(source)>``,
    or the member the staged bundle's ``manifest`` lists for it."""
    entry = manifest.find_image(image) if manifest is not None else None
    if entry is not None:
        return artifacts / entry.path
    return artifacts / "images" / image_archive_name(image.source)


def locate_archives(
    images: Iterable[ImageArtifact], artifacts: Path, manifest: BundleManifest | None = None
) -> tuple[PushItem, ...]:
    """The archive of every image, read and checked to hold each arch the image needs.

    ``manifest`` is that of a bundle staged into ``artifacts`` (``stage_bundle``). Raises
    ``ArtifactError`` listing every image without a usable archive, with how to get them.
    """
    items: list[PushItem] = []
    problems: list[str] = []
    for image in images:
        found = _checked_item(image, archive_path(image, artifacts, manifest))
        if isinstance(found, PushItem):
            items.append(found)
        else:
            problems.append(found)
    if problems:
        count = len(problems)
        raise ArtifactError(
            f"{count} image{'s' if count != 1 else ''} to push "
            f"{'have' if count != 1 else 'has'} no usable archive:\n  " + "\n  ".join(problems),
            _BUNDLE_HINT if manifest is not None else _CACHE_HINT,
        )
    return tuple(items)


_CACHE_HINT = (
    "pull them with `kubexm download -f <config>` (it saves them under <work dir>/artifacts/"
    "images), or pass the bundle that holds them with --bundle"
)
_BUNDLE_HINT = (
    "build the bundle again with `kubexm download -f <config>` (without `--skip images`) and "
    "check it with `kubexm bundle verify`"
)


def _checked_item(image: ImageArtifact, path: Path) -> PushItem | str:
    """The item for ``image`` at ``path``, or the problem that keeps it from being pushed."""
    if not path.is_file():
        return f"{image.source}: no archive at {path}"
    try:
        info = read_oci_archive(path)
    except ArtifactError as exc:
        return f"{image.source}: {exc.message}"
    absent = sorted(set(image.arches) - set(info.arches))
    if absent:
        return f"{image.source}: {path} has no {', '.join(absent)} platform"
    return PushItem(image, path, info.digest)


@contextlib.contextmanager
def temporary_authfile(access: RegistryAccess) -> Iterator[Path | None]:
    """An auth file with ``access``'s credentials for the duration of the block.

    It is created with mode 0600 in a private (0700) temporary folder and removed with the
    folder when the block ends, also on error. Yields None when there are no credentials.
    """
    value = access.auth_value()
    if not value:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="kubexm-auth-") as folder:
        path = Path(folder) / "auth.json"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump({"auths": {access.host: {"auth": value}}}, out)
        yield path


def remote_digest(target: str, access: RegistryAccess, authfile: Path | None) -> str | None:
    """The digest of the top manifest the registry serves for ``target``; None when it has
    no such tag or repository.

    Raises ``CommandError`` when the registry cannot be read (unreachable, refused
    credentials, TLS), ``CommandTimeout`` after ``INSPECT_TIMEOUT`` seconds, and
    ``ArtifactError`` when skopeo is not installed.
    """
    argv = inspect_argv(
        target, authfile=authfile, tls_verify=access.tls_verify, cert_dir=access.cert_dir
    )
    try:
        raw = run_skopeo_bytes(argv, timeout=INSPECT_TIMEOUT)
    except CommandError as exc:
        if _ABSENT.search(exc.stderr):
            return None
        raise
    return "sha256:" + hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class PushOutcome:
    """What happened to one image; ``error`` is skopeo's reason, credentials masked."""

    item: PushItem
    status: PushStatus
    seconds: float
    error: str = ""

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON output."""
        image = self.item.image
        return {
            "source": image.source,
            "target": image.target,
            "digest": self.item.digest,
            "arches": list(image.arches),
            "status": self.status,
            "seconds": round(self.seconds, 2),
            "error": self.error,
        }


def push_image(
    item: PushItem, access: RegistryAccess, authfile: Path | None, *, dry_run: bool = False
) -> PushOutcome:
    """Make ``item``'s target hold the archive's digest.

    ``unchanged`` when the registry already serves that digest; else the archive is copied
    (``pushed``; ``would-push`` in a dry run, which only reads). Never raises for a skopeo
    problem: the outcome is ``failed`` with skopeo's reason, credentials masked. A read of
    the target that fails is no verdict in a real run (the copy says what is wrong), but is
    the failure in a dry run.
    """
    started = time.monotonic()
    try:
        status = _push(item, access, authfile, dry_run)
    except KubexmError as exc:
        reason = access.mask(_reason(exc))
        log.debug("push of %s failed: %s", item.image.target, reason)
        return PushOutcome(item, "failed", time.monotonic() - started, reason)
    return PushOutcome(item, status, time.monotonic() - started)


def _push(
    item: PushItem, access: RegistryAccess, authfile: Path | None, dry_run: bool
) -> PushStatus:
    target = item.image.target
    try:
        current = remote_digest(target, access, authfile)
    except CommandError as exc:
        if dry_run:
            raise
        log.debug("cannot read %s, pushing it: %s", target, access.mask(_reason(exc)))
        current = None
    if current == item.digest:
        return "unchanged"
    if dry_run:
        return "would-push"
    argv = push_argv(
        item.archive,
        target,
        authfile=authfile,
        tls_verify=access.tls_verify,
        cert_dir=access.cert_dir,
    )
    log.debug("pushing %s to %s", item.archive.name, target)
    run_skopeo(argv, timeout=PUSH_TIMEOUT)
    return "pushed"


def _reason(error: KubexmError) -> str:
    """skopeo's own message (its last ``msg="..."``) or the error's first line."""
    if isinstance(error, CommandError) and error.exit_status is not None:
        messages = _SKOPEO_MSG.findall(error.stderr)
        if messages:
            return str(messages[-1]).replace('\\"', '"')
        lines = (error.stderr or error.stdout).strip().splitlines()
        if lines:
            return lines[-1]
    return str(error).splitlines()[0]


def push_images(
    items: Sequence[PushItem],
    access: RegistryAccess,
    *,
    jobs: int = DEFAULT_JOBS,
    dry_run: bool = False,
    on_done: Callable[[PushOutcome], None] | None = None,
) -> tuple[PushOutcome, ...]:
    """Push every item with at most ``jobs`` skopeo processes at a time (see ``push_image``)
    and return the outcomes in the order of ``items``.

    The credentials live in one temporary auth file for the whole run. ``on_done`` is called
    in the calling thread as each image finishes. Raises ``ValueError`` when ``jobs`` < 1.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    done: dict[int, PushOutcome] = {}
    with temporary_authfile(access) as authfile:
        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="kubexm-push")
        try:
            futures: dict[Future[PushOutcome], int] = {
                pool.submit(push_image, item, access, authfile, dry_run=dry_run): index
                for index, item in enumerate(items)
            }
            for future in as_completed(futures):
                done[futures[future]] = outcome = future.result()
                if on_done is not None:
                    on_done(outcome)
        finally:
            # On Ctrl-C (or a failing ``on_done``) the queued pushes are dropped; the running
            # ones finish before the auth file goes away.
            pool.shutdown(wait=True, cancel_futures=True)
    return tuple(done[index] for index in range(len(items)))
