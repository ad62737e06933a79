"""Plain artifact records and the rules they follow, shared by the SDK, the stores and the server.

An *artifact* is a named, typed collection in a project (``digits``, type
``dataset``); each logged content of it is a *version* (``v0``, ``v1``, …)
whose identity is the digest of its *manifest*: the sorted list of entries
(path in the artifact → content digest, size, and for references the URI).
Logging the same manifest again names the same version. *Aliases* (``latest``,
``best``, ``production``) each point at one version of an artifact; ``latest``
moves to every new version by itself. *Lineage* edges record which run logged
and which runs used a version.

Nothing here imports a database or HTTP library.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
from typing import Any

from heron.entities import _Record, check_name
from heron.errors import InvalidNameError, InvalidValueError, UsageError

MANIFEST_VERSION = "heron-artifact-manifest-v1"
LATEST = "latest"
EDGE_KINDS = ("logged", "used")
MAX_ENTRY_PATH = 1024
MAX_ALIAS = 128
MAX_LINEAGE_DEPTH = 20

_VERSION_RE = re.compile(r"^v(\d+)$")
_ALIAS_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
_TYPE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def check_artifact_name(value: object) -> str:
    """An artifact name follows the project name rules (letters, digits, ``_ . -``)."""
    return check_name("artifact", value)


def check_type(value: object) -> str:
    """An artifact type: 1-64 letters, digits, ``_ . -`` (``dataset``, ``model``)."""
    if not isinstance(value, str) or not _TYPE_RE.match(value):
        raise InvalidNameError(
            f"invalid artifact type {value!r}: use 1-64 letters, digits, '_', '.' or '-',"
            " e.g. 'dataset' or 'model'"
        )
    return value


def check_alias(value: object) -> str:
    """An alias: 1-128 letters, digits, ``_ . -``, and not a version name such as ``v3``."""
    if not isinstance(value, str) or not _ALIAS_RE.match(value):
        raise InvalidNameError(
            f"invalid alias {value!r}: use 1-128 letters, digits, '_', '.' or '-',"
            " starting with a letter or digit"
        )
    if _VERSION_RE.match(value):
        raise InvalidNameError(
            f"alias {value!r} collides with version names (v0, v1, …); choose another alias"
        )
    return value


def check_entry_path(value: object) -> str:
    """A path inside an artifact: relative, ``/``-separated, no ``..``, ``.`` or empty parts."""
    if not isinstance(value, str) or not value or len(value) > MAX_ENTRY_PATH:
        raise InvalidNameError(
            f"invalid artifact path {value!r}: use a relative path of 1-{MAX_ENTRY_PATH} chars"
        )
    parts = value.split("/")
    if value.startswith("/") or "\\" in value or "\x00" in value:
        raise InvalidNameError(
            f"invalid artifact path {value!r}: use a relative '/'-separated path"
        )
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidNameError(
            f"invalid artifact path {value!r}: '..', '.' and empty parts would escape or"
            " confuse the artifact root; name the file by its path inside the artifact"
        )
    return value


def version_index(ref: str) -> int | None:
    """The number of a version name (``"v3"`` → 3); None for an alias."""
    match = _VERSION_RE.match(ref)
    return int(match.group(1)) if match else None


def parse_artifact_path(path: str) -> tuple[str | None, str | None, str, str]:
    """Split ``[entity/][project/]name[:version|alias]`` into its parts (missing ones None).

    The version defaults to ``latest``.
    """
    if not isinstance(path, str) or not path.strip("/"):
        raise UsageError(
            f"invalid artifact path {path!r}: expected '[entity/project/]name[:version]'"
        )
    head, _, ref = path.strip("/").partition(":")
    parts = head.split("/")
    if len(parts) > 3 or not all(parts):
        raise UsageError(
            f"invalid artifact path {path!r}: expected '[entity/project/]name[:version]'"
        )
    entity = parts[0] if len(parts) == 3 else None
    project = parts[-2] if len(parts) >= 2 else None
    name = check_artifact_name(parts[-1])
    ref = ref or LATEST
    if version_index(ref) is None:
        check_alias(ref)
    return entity, project, name, ref


@dataclasses.dataclass(frozen=True)
class ManifestEntry(_Record):
    """One file of a version.

    ``digest`` is the sha256 of the content (the blob's name) for stored
    files; for a reference (``ref`` set) it is the checksum the reference
    was tracked by: ``sha256:<hex>`` of a ``file://`` file's content, the
    ``etag:``/``last-modified:`` of an HTTP resource, or the URI itself when
    checksumming was turned off.
    """

    path: str
    digest: str
    size: int | None = None
    ref: str | None = None

    def check(self) -> ManifestEntry:
        check_entry_path(self.path)
        if not isinstance(self.digest, str) or not self.digest:
            raise InvalidValueError(f"manifest entry {self.path!r} needs a digest")
        if self.ref is None and not _SHA256_RE.match(self.digest):
            raise InvalidValueError(
                f"manifest entry {self.path!r}: a stored file's digest must be its sha256"
                f" (64 lowercase hex digits), not {self.digest!r}"
            )
        if self.ref is not None and (not isinstance(self.ref, str) or "://" not in self.ref):
            raise InvalidValueError(f"manifest entry {self.path!r}: ref must be a URI")
        if self.size is not None and (
            not isinstance(self.size, int) or isinstance(self.size, bool) or self.size < 0
        ):
            raise InvalidValueError(f"manifest entry {self.path!r}: size must be an integer >= 0")
        return self


def check_manifest(entries: list[ManifestEntry]) -> list[ManifestEntry]:
    """The entries checked and sorted by path; duplicate paths are refused."""
    ordered = sorted((e.check() for e in entries), key=lambda e: e.path)
    for a, b in itertools.pairwise(ordered):
        if a.path == b.path:
            raise InvalidValueError(f"the manifest names {a.path!r} twice")
    return ordered


def manifest_digest(entries: list[ManifestEntry]) -> str:
    """The version digest: sha256 over the sorted ``path``, ``digest`` and ``ref`` of each entry.

    Sizes and metadata are left out: the same content is the same version.
    """
    h = hashlib.sha256(MANIFEST_VERSION.encode() + b"\n")
    for entry in sorted(entries, key=lambda e: e.path):
        h.update(f"{entry.path}\t{entry.digest}\t{entry.ref or ''}\n".encode())
    return h.hexdigest()


@dataclasses.dataclass(frozen=True)
class ArtifactVersion(_Record):
    """One version of an artifact, as the store keeps it (without its manifest)."""

    entity: str
    project: str
    name: str
    type: str
    version: int
    digest: str
    description: str | None = None
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)
    size: int = 0
    file_count: int = 0
    created_at: float = 0.0
    created_by: str | None = None
    """The path (``entity/project/run_id``) of the run that logged it first, if any."""
    aliases: list[str] = dataclasses.field(default_factory=list)

    @property
    def version_name(self) -> str:
        return f"v{self.version}"

    @property
    def qualified_name(self) -> str:
        return f"{self.entity}/{self.project}/{self.name}:{self.version_name}"


@dataclasses.dataclass(frozen=True)
class LoggedVersion(_Record):
    """What logging a manifest gave: the version, and whether it is new (False: same content)."""

    version: ArtifactVersion
    created: bool

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoggedVersion:
        return cls(ArtifactVersion.from_dict(data["version"]), bool(data["created"]))

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version.to_dict(), "created": self.created}


@dataclasses.dataclass(frozen=True)
class ArtifactInfo(_Record):
    """An artifact (a collection of versions) in a project."""

    entity: str
    project: str
    name: str
    type: str
    description: str | None = None
    version_count: int = 0
    latest: int | None = None
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclasses.dataclass(frozen=True)
class ArtifactType(_Record):
    """An artifact type used in a project and how many artifacts have it."""

    name: str
    artifact_count: int = 0


@dataclasses.dataclass(frozen=True)
class LineageEdge(_Record):
    """``run`` (a run path) ``kind`` ("logged" or "used") ``artifact`` (a qualified name)."""

    run: str
    kind: str
    artifact: str
    created_at: float = 0.0


@dataclasses.dataclass(frozen=True)
class LineageGraph(_Record):
    """Runs and artifact versions reachable from a starting version, with the edges between.

    ``artifacts`` holds versions; ``runs`` holds run paths; each edge is a
    :class:`LineageEdge`. Upstream is towards the runs that logged a version
    and the versions those runs used; downstream towards the runs that used it
    and the versions they logged.
    """

    artifacts: list[ArtifactVersion]
    runs: list[str]
    edges: list[LineageEdge]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LineageGraph:
        return cls(
            [ArtifactVersion.from_dict(a) for a in data["artifacts"]],
            list(data["runs"]),
            [LineageEdge.from_dict(e) for e in data["edges"]],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "artifacts": [a.to_dict() for a in self.artifacts],
            "runs": list(self.runs),
            "edges": [e.to_dict() for e in self.edges],
        }


@dataclasses.dataclass(frozen=True)
class GcReport(_Record):
    """What ``heron gc`` removed (or, with ``dry_run``, would remove)."""

    blobs: list[str]
    """The digests of the unreferenced blobs."""
    freed_bytes: int
    dry_run: bool = False

    def describe(self) -> str:
        verb = "would free" if self.dry_run else "freed"
        return f"{len(self.blobs)} unreferenced blob(s); {verb} {self.freed_bytes} bytes"
