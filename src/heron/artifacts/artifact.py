"""``heron.Artifact``: a versioned bundle of files, wandb's ``wandb.Artifact``.

A new artifact is a *draft*: add files, folders, references, new files and
media, then ``run.log_artifact(art)`` stages the files and queues an
``artifact`` record in the run log, so it works offline and ``heron sync``
replays it; ``art.wait()`` (or reading ``version``) blocks until the store
holds the version. An artifact a run used, or the Api fetched, is *logged*:
read its manifest, ``download()``, ``checkout()`` and ``verify()`` it, change
its ``aliases``/``metadata``/``description`` and ``save()``, or ``delete()``
it; ``new_draft()`` starts the next version from its files.

>>> art = heron.Artifact("digits", type="dataset", metadata={"rows": 1797})  # doctest: +SKIP
>>> art.add_dir("data/")                                                   # doctest: +SKIP
>>> with art.new_file("README.md") as f:                                  # doctest: +SKIP
...     f.write("hand-written digits")
>>> run.log_artifact(art, aliases=["best"])                                # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import tempfile
import time
import weakref
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any

from heron.artifacts import references, transfer
from heron.artifacts.entities import (
    LATEST,
    ArtifactVersion,
    ManifestEntry,
    check_artifact_name,
    check_entry_path,
    check_type,
    manifest_digest,
)
from heron.artifacts.progress import Progress
from heron.errors import InvalidValueError, NotFoundError, StoreError, UsageError
from heron.store.blobs import file_digest

if TYPE_CHECKING:
    from heron.api.api import Api
    from heron.api.run import Run as ApiRun
    from heron.artifacts.entities import LineageGraph
    from heron.artifacts.registry import LinkedVersion
    from heron.sdk.run import Run
    from heron.store.base import Store

POLICIES = ("mutable", "immutable")
_WAIT_RECHECK = 0.5
"""Seconds ``wait()`` sleeps at most between looks at the store (the sender wakes it sooner)."""


@dataclasses.dataclass
class _Draft:
    """A draft entry: a local file (to upload) or a reference (digest known)."""

    path: str
    local: str | None = None
    digest: str | None = None
    size: int | None = None
    ref: str | None = None
    private: bool = False
    """The file is the artifact's own staged copy (safe to hard-link, nobody else writes it)."""


@dataclasses.dataclass
class _Pending:
    """A version queued through a run's log, not yet known to be in the store."""

    run: Run
    store: Store | None
    digest: str
    queued_at: float


class Artifact:
    """A named, typed set of files; see the module docstring."""

    def __init__(
        self,
        name: str,
        type: str,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        incremental: bool = False,
    ) -> None:
        self._name = check_artifact_name(name)
        self._type = check_type(type)
        if description is not None and not isinstance(description, str):
            raise InvalidValueError("an artifact description must be a string")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidValueError(f"artifact metadata must be a dict, not {metadata!r}")
        self.description = description
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._drafts: dict[str, _Draft] = {}
        self._staging: str | None = None
        self._version: ArtifactVersion | None = None
        self._manifest: list[ManifestEntry] | None = None
        self._store: Store | None = None
        self._api: Api | None = None
        self._download_root: str | None = None
        self.incremental = bool(incremental)
        """Log on top of the latest version's files (``remove()`` takes some out)."""
        self._removed: set[str] = set()
        self._aliases: list[str] | None = None
        self._pending: _Pending | None = None

    @classmethod
    def _from_version(cls, version: ArtifactVersion, store: Store, api: Api | None) -> Artifact:
        art = cls(version.name, version.type, version.description, version.metadata)
        art._set_logged(version, store, api)
        return art

    def _set_logged(self, version: ArtifactVersion, store: Store, api: Api | None) -> None:
        self._version, self._store, self._api = version, store, api
        self.description, self.metadata = version.description, dict(version.metadata)
        self._drafts = {}
        self._manifest = None
        self._aliases = None
        self._pending = None

    # ------------------------------------------------------------ attributes

    @property
    def name(self) -> str:
        return self._name

    @property
    def type(self) -> str:
        return self._type

    @property
    def version(self) -> str | None:
        """``v3`` once logged (waits for a queued log, see :meth:`wait`); None for a draft."""
        version = self._resolved()
        return version.version_name if version else None

    @property
    def aliases(self) -> list[str]:
        """The version's aliases; set a list, then :meth:`save` (or log the draft) to apply."""
        if self._aliases is not None:
            return list(self._aliases)
        version = self._resolved()
        return list(version.aliases) if version else []

    @aliases.setter
    def aliases(self, value: list[str]) -> None:
        from heron.artifacts.entities import check_alias

        if isinstance(value, str) or not all(isinstance(a, str) for a in value):
            raise UsageError("aliases must be a list of strings")
        self._aliases = [check_alias(a) if a != LATEST else a for a in dict.fromkeys(value)]

    @property
    def qualified_name(self) -> str | None:
        """``entity/project/name:v3`` once logged."""
        version = self._resolved()
        return version.qualified_name if version else None

    @property
    def created_at(self) -> float | None:
        version = self._resolved()
        return version.created_at if version else None

    @property
    def size(self) -> int:
        return sum(e.size or 0 for e in self.files())

    @property
    def digest(self) -> str:
        """The manifest digest: the same files give the same digest (and the same version)."""
        if self._version is not None:
            return self._version.digest
        return manifest_digest(self.files())

    @property
    def is_draft(self) -> bool:
        """True until the artifact is logged (or queued to be)."""
        return self._version is None and self._pending is None

    def __repr__(self) -> str:
        return f"<Artifact {self.qualified_name or self._name + ' (draft)'} type={self._type}>"

    # ------------------------------------------------------------ building a draft

    def add_file(
        self, local_path: str | os.PathLike[str], name: str | None = None, policy: str = "mutable"
    ) -> ManifestEntry:
        """Add a file as ``name`` (default: its file name).

        ``mutable`` copies it now, so later changes to the file do not leak
        into the version; ``immutable`` promises it will not change and skips
        the copy.
        """
        self._check_draft()
        if policy not in POLICIES:
            raise UsageError(f"policy must be 'mutable' or 'immutable', not {policy!r}")
        path = os.fspath(local_path)
        if not os.path.exists(path):
            raise UsageError(f"cannot add {path!r} to artifact {self._name!r}: no such file")
        if not os.path.isfile(path):
            raise UsageError(f"cannot add {path!r} as a file: it is a folder; use add_dir()")
        if not os.access(path, os.R_OK):
            raise UsageError(f"cannot add {path!r} to artifact {self._name!r}: not readable")
        entry_path = check_entry_path(name if name is not None else os.path.basename(path))
        draft = _Draft(entry_path, local=os.path.abspath(path))
        if policy == "mutable":
            staged = os.path.join(self._staging_dir(), "files", entry_path)
            draft.digest, draft.size = transfer.copy_hashing(path, staged, atomic=False)
            draft.local, draft.private = staged, True
        self._drafts[entry_path] = draft
        self._removed.discard(entry_path)
        return self.get_entry(entry_path)

    def add_dir(self, local_path: str | os.PathLike[str], name: str | None = None) -> None:
        """Add every file under a folder as ``name/<relative path>`` (symlinked dirs skipped)."""
        self._check_draft()
        root = os.fspath(local_path)
        if not os.path.isdir(root):
            raise UsageError(
                f"cannot add folder {root!r} to artifact {self._name!r}: no such folder"
            )
        prefix = check_entry_path(name) + "/" if name else ""
        found = []
        for folder, dirs, files in os.walk(root):  # followlinks=False: no symlink loops
            dirs.sort()
            for file in sorted(files):
                full = os.path.join(folder, file)
                if not os.path.isfile(full):
                    continue  # a broken symlink, a socket
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                found.append((full, prefix + rel))
        # Copied (and hashed on the way) in parallel threads: hashlib releases the GIL.
        self._staging_dir()
        transfer.parallel(
            lambda item: self.add_file(item[0], item[1]), found, transfer.LOCAL_WORKERS
        )

    def add_reference(
        self,
        uri: str,
        name: str | None = None,
        checksum: bool = True,
        max_objects: int | None = None,
    ) -> None:
        """Track data by URI without copying it (``file://``, ``http(s)://``, ``s3://``).

        A ``file://`` folder adds each file under it, an ``s3://`` prefix each
        object under it (at most ``max_objects``, default 10,000). ``checksum``
        tracks the content (``file://``), ETag/Last-Modified (http) or ETag and
        version id (S3), so changed data makes a new version; ``checksum=False``
        tracks the URI alone.
        """
        self._check_draft()
        scheme = references.scheme_of(uri)
        if scheme in ("file", "s3"):
            if scheme == "file":
                found = list(references.file_references(uri, checksum))
                single = len(found) == 1 and not os.path.isdir(references.local_path(uri))
            else:
                found = references.s3_references(uri, checksum, max_objects)
                single = len(found) == 1 and found[0][1] == uri
            for rel, ref, digest, size in found:
                path = (name or rel) if single else f"{name}/{rel}" if name else rel
                check_entry_path(path)
                self._drafts[path] = _Draft(path, digest=digest, size=size, ref=ref)
            return
        digest, http_size = references.http_reference(uri, checksum)
        path = check_entry_path(name or uri.rstrip("/").rsplit("/", 1)[-1])
        self._drafts[path] = _Draft(path, digest=digest, size=http_size, ref=uri)

    @contextlib.contextmanager
    def new_file(
        self, name: str, mode: str = "w", encoding: str | None = None
    ) -> Iterator[IO[Any]]:
        """Write a new file straight into the artifact: ``with art.new_file("a.txt") as f:``."""
        self._check_draft()
        if "r" in mode and "+" not in mode:
            raise UsageError("new_file() opens a file for writing: use mode 'w' or 'wb'")
        path = os.path.join(self._staging_dir(), "new", check_entry_path(name))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if encoding is None and "b" not in mode:
            encoding = "utf-8"
        with open(path, mode, encoding=encoding) as f:
            yield f
        self._drafts[name] = _Draft(name, local=path, private=True)

    def add(self, obj: Any, name: str) -> ManifestEntry:
        """Add a heron Table or media value: its files and its JSON stub (``name.<type>.json``)."""
        self._check_draft()
        serialize = getattr(obj, "_heron_serialize", None)
        if serialize is None:
            raise UsageError(
                f"add() takes a heron Table or media value, not {type(obj).__name__};"
                " use add_file() for files"
            )
        from heron.data_types.base import MemorySink

        check_entry_path(name)
        sink = MemorySink()
        stub = serialize(sink, name)
        for path, data in sink.files.items():
            staged = os.path.join(self._staging_dir(), "media", check_entry_path(path))
            os.makedirs(os.path.dirname(staged), exist_ok=True)
            with open(staged, "wb") as f:
                f.write(data)
            self._drafts[path] = _Draft(path, local=staged, private=True)
        kind = str(stub.get("_type", "media")).removesuffix("-file")
        stub_name = f"{name}.{kind}.json"
        staged = os.path.join(self._staging_dir(), "media", stub_name)
        os.makedirs(os.path.dirname(staged), exist_ok=True)
        with open(staged, "w", encoding="utf-8") as f:
            json.dump(stub, f, sort_keys=True)
        self._drafts[stub_name] = _Draft(stub_name, local=staged, private=True)
        return self.get_entry(stub_name)

    def remove(self, name: str) -> None:
        """Take a file (or every file under a folder) out of a draft.

        An ``incremental`` draft may name files of the latest version: they
        are left out of the new one.
        """
        self._check_draft()
        prefix = name.rstrip("/") + "/"
        gone = [p for p in self._drafts if p == name or p.startswith(prefix)]
        if self.incremental:
            self._removed.add(name.rstrip("/"))
        elif not gone:
            raise UsageError(f"artifact {self._name!r} has no file or folder {name!r}")
        for path in gone:
            del self._drafts[path]

    # ------------------------------------------------------------ reading

    def files(self) -> list[ManifestEntry]:
        """The manifest entries, sorted by path (a draft's files are hashed to fill it)."""
        if self._version is not None:
            if self._manifest is None:
                assert self._store is not None
                v = self._version
                self._manifest = self._store.get_manifest(
                    v.entity, v.project, v.name, v.version_name
                )
            return list(self._manifest)
        return [self._entry(d) for d in sorted(self._drafts.values(), key=lambda d: d.path)]

    def get_entry(self, name: str) -> ManifestEntry:
        """One manifest entry by path; raises UsageError naming the artifact."""
        if self._version is None and name in self._drafts:
            return self._entry(self._drafts[name])
        for entry in self.files() if self._version is not None else []:
            if entry.path == name:
                return entry
        raise UsageError(f"artifact {self.qualified_name or self._name!r} has no file {name!r}")

    def get_path(self, name: str) -> str:
        """Download the artifact (if not yet) and return the local path of one file."""
        entry = self.get_entry(name)
        root = self._download_root or self.download()
        return transfer.target_path(root, entry.path)

    def _entry(self, draft: _Draft) -> ManifestEntry:
        if draft.digest is None:
            assert draft.local is not None
            draft.digest, draft.size = file_digest(draft.local)
        return ManifestEntry(draft.path, draft.digest, draft.size, draft.ref)

    def download(self, root: str | os.PathLike[str] | None = None) -> str:
        """Fetch every file into ``root`` (default ``./artifacts/<name>:<version>``); verified.

        Files already there with the right digest are not fetched again; a
        file whose bytes do not match the manifest is refused (StoreError).
        """
        version, store = self._logged()
        target = os.fspath(root) if root is not None else self._default_root(version)
        from heron.artifacts.cache import ArtifactCache

        transfer.download(store.blobs, self.files(), target, ArtifactCache.from_env())
        self._download_root = target
        return target

    def link(self, target_path: str, aliases: Sequence[str] | None = None) -> LinkedVersion:
        """Link this logged version into ``registry/[<registry>/]<collection>`` with ``aliases``.

        The collection (and registry) is made if absent; the link keeps this
        version's lineage. Refused (UsageError, with the reason) when an
        alias's promotion rule fails.

        >>> art.link("registry/digits-cnn", aliases=["staging"])  # doctest: +SKIP
        """
        from heron.artifacts.registry import link_artifact

        return link_artifact(self, target_path, aliases)

    def checkout(self, root: str | os.PathLike[str] | None = None) -> str:
        """Make ``root`` hold exactly this version: download it, remove every other file there."""
        target = self.download(root)
        keep = {os.path.normpath(os.path.join(target, e.path)) for e in self.files()}
        for folder, dirs, names in os.walk(target, topdown=False):
            for name in names:
                path = os.path.normpath(os.path.join(folder, name))
                if path not in keep:
                    os.unlink(path)
            for name in dirs:
                path = os.path.join(folder, name)
                if not os.path.islink(path) and not os.listdir(path):
                    os.rmdir(path)
        return target

    def verify(self, root: str | os.PathLike[str] | None = None) -> None:
        """Check that the downloaded files match the manifest; raises StoreError if not."""
        version, _ = self._logged()
        target = os.fspath(root) if root is not None else self._default_root(version)
        transfer.verify(self.files(), target)

    def _default_root(self, version: ArtifactVersion) -> str:
        return os.path.join("artifacts", f"{version.name}:{version.version_name}")

    # ------------------------------------------------------------ logged versions

    def wait(self, timeout: float | None = None) -> Artifact:
        """Block until the store holds the version ``run.log_artifact`` queued; return self.

        Fills ``version``, ``aliases``, ``qualified_name``. An offline run's
        version is made when ``heron sync`` sends the run: waiting is refused.
        Raises StoreError after ``timeout`` seconds, UsageError when the store
        refused the version (the run's sender logged why).
        """
        if self._version is not None:
            return self
        pending = self._pending
        if pending is None:
            raise UsageError(
                f"artifact {self._name!r} is a draft: log it with run.log_artifact() first"
            )
        if pending.store is None:
            raise UsageError(
                f"artifact {self._name!r} was logged by an offline run: its version is made"
                f" when the run is sent with: heron sync {pending.run.folder}"
            )
        deadline = None if timeout is None else time.monotonic() + timeout
        sender = pending.run._sender
        # The sender ships at once while we wait and tells us after each batch it applied;
        # without one (the run finished) the version is in the store or comes by polling.
        with sender.hurry() if sender is not None else contextlib.nullcontext():
            delay = 0.01
            while True:
                seen = sender.applied_count if sender is not None else 0
                found = self._find_version(pending)
                if found is not None:
                    self._logged_now(found, pending)
                    return self
                self._check_refused(pending)
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise StoreError(
                        f"artifact {self._name!r} was not recorded within {timeout:g}s; it"
                        f" stays in the run log {pending.run.log_path}"
                    )
                pause = _WAIT_RECHECK if sender is not None else delay
                pause = pause if left is None else min(pause, left)
                if sender is not None:
                    sender.wait_applied(seen, pause)
                else:
                    time.sleep(pause)
                    delay = min(delay * 1.5, 0.25)

    def save(self) -> Artifact:
        """Save changes: a draft is logged by the active run; a logged version's
        ``description``, ``metadata`` and ``aliases`` are written to the store."""
        if self.is_draft:
            import heron

            run = heron.run
            if run is None:
                raise UsageError(
                    f"saving draft artifact {self._name!r} needs a run: call heron.init() first,"
                    " or use run.log_artifact(art)"
                )
            return run.log_artifact(self)
        version, store = self._logged()
        updated = store.update_artifact_version(
            version.entity,
            version.project,
            version.name,
            version.version,
            description=self.description,
            metadata=self.metadata,
        )
        if self._aliases is not None:
            wanted = [a for a in self._aliases if a != LATEST]
            for alias in version.aliases:
                if alias != LATEST and alias not in wanted:
                    store.remove_alias(version.entity, version.project, version.name, alias)
            for alias in wanted:
                store.set_alias(
                    version.entity, version.project, version.name, alias, version.version
                )
            updated = store.get_artifact_version(
                version.entity, version.project, version.name, version.version_name
            )
        self._set_logged(updated, store, self._api)
        return self

    def delete(self, delete_aliases: bool = False) -> None:
        """Delete this version from the store (its blobs go at the next ``heron gc``).

        A version with aliases besides ``latest`` is refused unless ``delete_aliases``.
        """
        version, store = self._logged()
        store.delete_artifact_version(
            version.entity,
            version.project,
            version.name,
            version.version,
            delete_aliases=delete_aliases,
        )
        self._version, self._manifest = None, None
        self._pending = None

    def new_draft(self) -> Artifact:
        """A draft of the next version holding this version's files; change it, then log it."""
        self._logged()
        draft = Artifact(self._name, self._type, self.description, dict(self.metadata))
        for entry in self.files():
            draft._drafts[entry.path] = _Draft(
                entry.path, digest=entry.digest, size=entry.size, ref=entry.ref
            )
        return draft

    # ------------------------------------------------------------ lineage

    def logged_by(self) -> ApiRun | None:
        """The run that logged this version first (None when unknown or deleted)."""
        version, _ = self._logged()
        return self._api_run(version.created_by) if version.created_by else None

    def used_by(self) -> list[ApiRun]:
        """The runs that used this version, oldest first (deleted runs left out)."""
        version, store = self._logged()
        edges = store.artifact_edges(
            version.entity, version.project, version.name, version.version_name
        )
        found = [self._api_run(e.run) for e in edges if e.kind == "used"]
        return [r for r in found if r is not None]

    def lineage(self, depth: int = 4, direction: str = "both") -> LineageGraph:
        """Runs and versions upstream and/or downstream of this one, ``depth`` edges out."""
        version, store = self._logged()
        return store.artifact_lineage(
            version.entity,
            version.project,
            version.name,
            version.version_name,
            depth=depth,
            direction=direction,
        )

    def _api_run(self, path: str) -> ApiRun | None:
        from heron.errors import NotFoundError

        api = self._api
        if api is None:
            from heron.api.api import Api

            assert self._store is not None
            api = self._api = Api()
            api._store = self._store
        try:
            return api.run(path)
        except NotFoundError:
            return None

    # ------------------------------------------------------------ plumbing

    def _resolved(self) -> ArtifactVersion | None:
        """The logged version; a queued one is waited for (offline: None until synced)."""
        pending = self._pending
        if self._version is None and pending is not None and pending.store is not None:
            self.wait()
        return self._version

    def _find_version(self, pending: _Pending) -> ArtifactVersion | None:
        assert pending.store is not None
        run = pending.run
        try:
            versions = pending.store.list_artifact_versions(run.entity, run.project, self._name)
        except NotFoundError:
            return None
        return next((v for v in versions if v.digest == pending.digest), None)

    def _check_refused(self, pending: _Pending) -> None:
        sender = pending.run._sender
        shipper = sender.shipper if sender is not None else None
        for record in shipper.refused if shipper is not None else ():
            if record.get("type") == "artifact" and record.get("name") == self._name:
                raise UsageError(
                    f"the store refused artifact {self._name!r} (see the heron log above);"
                    f" the record stays in {pending.run.log_path}"
                )
        if sender is not None and not sender.is_alive() and not sender.done.is_set():
            raise StoreError(
                f"artifact {self._name!r}: the run's sender stopped before the store took it;"
                f" send it with: heron sync {pending.run.folder}"
            )

    def _logged_now(self, version: ArtifactVersion, pending: _Pending) -> None:
        from heron.artifacts.runs import api_for
        from heron.sdk.output import notice

        assert pending.store is not None
        self._set_logged(version, pending.store, api_for(pending.run, pending.store))
        if version.created_at < pending.queued_at:
            notice(
                f"artifact {self._name}: same content as {version.version_name}, so no new"
                f" version was made ({version.qualified_name})",
                silent=pending.run.settings.silent,
            )

    def _logged(self) -> tuple[ArtifactVersion, Store]:
        self._resolved()
        if self._version is None or self._store is None:
            raise UsageError(
                f"artifact {self._name!r} is a draft: log it with run.log_artifact() first"
            )
        return self._version, self._store

    def _check_draft(self) -> None:
        if not self.is_draft:
            raise UsageError(
                f"artifact {self._version.qualified_name if self._version else self._name} is"
                " logged and cannot change; make a new"
                f" heron.Artifact({self._name!r}, {self._type!r}) for a new version"
            )

    def _staging_dir(self) -> str:
        if self._staging is None:
            # Under HERON_DIR: usually the blob store's file system, so staged copies link there.
            from heron.settings import Settings

            parent = Settings.from_env().dir / "tmp"
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError:
                parent = None  # type: ignore[assignment]
            self._staging = tempfile.mkdtemp(prefix="heron-artifact-", dir=parent)
            weakref.finalize(self, shutil.rmtree, self._staging, True)
        return self._staging

    def _prepare(
        self, base: list[ManifestEntry], blobs: Any, staging: str
    ) -> tuple[list[ManifestEntry], dict[str, str]]:
        """The manifest to log and ``{sha256: staged path}`` the sender must upload.

        ``base`` is the latest version's manifest for an incremental draft.
        With ``blobs`` (a store reachable now) local files go straight in
        (in parallel); without, each is staged under ``staging`` (hard-linked
        when it is the artifact's own copy) for the run's sender.
        """
        drafts = sorted(self._drafts.values(), key=lambda d: d.path)
        entries = {e.path: e for e in base if not self._is_removed(e.path)}
        local = [d for d in drafts if d.local is not None]
        for draft in local:
            self._entry(draft)  # hashes an immutable file not hashed yet
        staged: dict[str, str] = {}

        def move(draft: _Draft) -> None:
            assert draft.local is not None and draft.digest is not None
            if blobs is not None:
                transfer.put_known(blobs, draft.local, draft.digest, draft.private)
                return
            target = os.path.join(staging, draft.digest[:2], draft.digest[2:])
            if os.path.exists(target):
                return
            if draft.private:
                transfer.link_or_copy(draft.local, target)
            elif transfer.copy_hashing(draft.local, target)[0] != draft.digest:
                os.unlink(target)
                raise UsageError(f"artifact file {draft.local} changed after it was added")

        total = sum(d.size or 0 for d in local)
        label = "storing" if blobs is not None else "staging"
        with Progress.start(label, len(local), total) as progress:

            def move_counted(draft: _Draft) -> None:
                move(draft)
                progress.file_done(draft.size or 0)

            try:
                transfer.parallel(move_counted, local, transfer.LOCAL_WORKERS)
            except FileNotFoundError as exc:
                raise UsageError(
                    f"artifact file {exc.filename} was removed before it was logged"
                ) from None
        for draft in drafts:
            entries[draft.path] = self._entry(draft)
            if draft.local is not None and blobs is None:
                assert draft.digest is not None
                staged[draft.digest] = os.path.join(staging, draft.digest[:2], draft.digest[2:])
        return [entries[p] for p in sorted(entries)], staged

    def _is_removed(self, path: str) -> bool:
        return any(path == r or path.startswith(r + "/") for r in self._removed)
