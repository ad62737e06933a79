"""Refs: the addresses of published objects, ops and tables, as weave writes them.

=============================================  ===========================
``weave:///ENTITY/PROJECT/object/NAME:DIGEST``  an object version
``weave:///ENTITY/PROJECT/op/NAME:DIGEST``      an op version (its source)
``weave:///ENTITY/PROJECT/table/DIGEST``        a row table (a Dataset's rows)
=============================================  ===========================

An object or op ref may go on into the value with ``/attr/NAME``,
``/key/KEY``, ``/index/N`` pairs (``…/object/ds:abc/attr/rows/index/3`` is
row 3 of a dataset). In place of a digest a ref may hold ``latest`` or
``v<N>``, resolved when it is read; ``.get()`` reads through the active
client (``weave.init`` first).

>>> ref = weave.ref("grammar:v2")          # doctest: +SKIP
>>> ref.get().rows[0]                      # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from heron.errors import UsageError

if TYPE_CHECKING:
    from heron.weave.client import WeaveClient

SCHEME = "weave:///"
_EXTRA_KINDS = ("attr", "key", "index", "id")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_DIGEST = re.compile(r"[0-9a-f]{64}")
_ALIAS = re.compile(r"latest|v\d{1,9}")


def _require_client() -> WeaveClient:
    from heron.weave import client as state

    client = state.active
    if client is None:
        raise UsageError("reading refs needs a weave client: call weave.init('project') first")
    return client


@dataclasses.dataclass(frozen=True)
class Ref:
    """A published thing in ``entity/project``; see the module docstring for the forms."""

    entity: str
    project: str

    def uri(self) -> str:
        raise NotImplementedError

    def get(self) -> Any:
        """The value this ref names, read from the store of the active client."""
        raise NotImplementedError

    def _heron_ref_uri(self) -> str:
        """How :func:`heron.weave.serialize.to_json` stores a ref in a call: its URI."""
        return self.uri()

    def __str__(self) -> str:
        return self.uri()


@dataclasses.dataclass(frozen=True)
class ObjectRef(Ref):
    """A version of a published object: ``weave:///entity/project/object/name:digest``."""

    name: str
    _digest: str
    _extra: tuple[str, ...] = ()

    kind = "object"

    @property
    def digest(self) -> str:
        """The version's digest (or ``latest``/``v<N>`` for a ref not resolved yet)."""
        return self._digest

    @property
    def extra(self) -> tuple[str, ...]:
        """The path into the value: ``("attr", "rows", "index", "3")``."""
        return self._extra

    def uri(self) -> str:
        path = "".join(f"/{part}/{quote(value, safe='')}" for part, value in _pairs(self._extra))
        return f"{SCHEME}{self.entity}/{self.project}/{self.kind}/{self.name}:{self._digest}{path}"

    def get(self) -> Any:
        from heron.weave.objects import resolve

        return resolve(_require_client(), self)

    def delete(self) -> None:
        """Delete this version (``latest`` then names the highest version left)."""
        store = _require_client()._read_store()
        store.delete_object_version(
            self.entity, self.project, self.name, self._digest, kind=self.kind
        )

    def with_attr(self, name: str) -> ObjectRef:
        return dataclasses.replace(self, _extra=(*self._extra, "attr", name))

    def with_key(self, key: str) -> ObjectRef:
        return dataclasses.replace(self, _extra=(*self._extra, "key", key))

    def with_index(self, index: int) -> ObjectRef:
        return dataclasses.replace(self, _extra=(*self._extra, "index", str(index)))


@dataclasses.dataclass(frozen=True)
class OpRef(ObjectRef):
    """A version of a published op: ``weave:///entity/project/op/name:digest``."""

    kind = "op"


@dataclasses.dataclass(frozen=True)
class TableRef(Ref):
    """A stored row table: ``weave:///entity/project/table/digest``."""

    digest: str

    def uri(self) -> str:
        return f"{SCHEME}{self.entity}/{self.project}/table/{self.digest}"

    def get(self) -> Any:
        """The table's rows, read page by page as they are used (a :class:`Table`)."""
        from heron.weave.dataset import Table

        return Table._stored(_require_client(), self)


def _pairs(extra: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(extra[i], extra[i + 1]) for i in range(0, len(extra) - 1, 2)]


def parse_uri(uri: str) -> Ref:
    """The ref a ``weave:///`` URI names; UsageError saying what a URI looks like if bad."""
    if not isinstance(uri, str) or not uri.startswith(SCHEME):
        raise UsageError(f"not a weave ref URI: {uri!r} (they start with {SCHEME})")
    parts = uri[len(SCHEME) :].split("/")
    if len(parts) < 4 or not parts[0] or not parts[1]:
        raise UsageError(
            f"invalid ref URI {uri!r}: use weave:///ENTITY/PROJECT/object/NAME:VERSION,"
            " .../op/NAME:VERSION or .../table/DIGEST"
        )
    entity, project, kind, target, *rest = parts
    if kind == "table":
        if rest or not _DIGEST.fullmatch(target):
            raise UsageError(f"invalid table ref {uri!r}: use weave:///ENTITY/PROJECT/table/DIGEST")
        return TableRef(entity, project, target)
    if kind not in ("object", "op"):
        raise UsageError(f"invalid ref URI {uri!r}: the kind must be object, op or table")
    name, version = _name_and_version(target, uri)
    if len(rest) % 2 or any(k not in _EXTRA_KINDS for k in rest[::2]):
        raise UsageError(
            f"invalid ref path in {uri!r}: use pairs of {', '.join(_EXTRA_KINDS)} and a value"
        )
    extra = tuple(unquote(p) if i % 2 else p for i, p in enumerate(rest))
    cls = OpRef if kind == "op" else ObjectRef
    return cls(entity, project, name, version, extra)


def _name_and_version(text: str, where: str) -> tuple[str, str]:
    name, _, version = text.partition(":")
    version = version or "latest"
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"invalid object name {name!r} in {where!r}: use letters, digits, '-', '_' or '.'"
        )
    if not (_DIGEST.fullmatch(version) or _ALIAS.fullmatch(version)):
        raise UsageError(
            f"invalid version {version!r} in {where!r}: use latest, v<N> or a 64-hex digest"
        )
    return name, version


def ref(location: str) -> ObjectRef:
    """A ref from ``"name"``, ``"name:v3"``, ``"name:latest"``, ``"name:<digest>"`` or a URI.

    A bare name means an object of the active client's project.

    >>> weave.ref("grammar:v0").get()        # doctest: +SKIP
    """
    if not isinstance(location, str) or not location:
        raise UsageError(f"weave.ref() takes a name or a weave:/// URI, not {location!r}")
    if location.startswith(SCHEME):
        found = parse_uri(location)
        if not isinstance(found, ObjectRef):
            raise UsageError(f"{location!r} is a table ref; weave.ref() takes objects and ops")
        return found
    if "/" in location:
        raise UsageError(
            f"invalid ref {location!r}: use 'name', 'name:v3', 'name:latest', 'name:<digest>'"
            " or a full weave:///ENTITY/PROJECT/object/NAME:VERSION URI"
        )
    client = _require_client()
    name, version = _name_and_version(location, location)
    return ObjectRef(client.entity, client.project, name, version)


def get(location: str) -> Any:
    """``weave.ref(location).get()``: the published value itself."""
    return ref(location).get()
