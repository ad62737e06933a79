"""Versioned objects: ``weave.Object``, ``weave.publish``, and reading published values back.

Publishing turns a value into JSON data, publishing what it holds first:
a nested ``weave.Object`` becomes the URI of its own version, an op the URI
of its version (its captured source), a Dataset's rows the URI of a row
table. The digest of a version is the sha256 of its canonical JSON
(:func:`heron.store.base.canonical_json`), computed here and again by the
store, so the same content is the same version and a change is the next one.

Two ways in:

* ``weave.publish(obj)`` stores everything at once and returns the ref.
* A call whose inputs or output hold an object (a ``weave.Model`` as ``self``)
  stores the object's ref URI in the call. The digest is known without
  asking the store, so the versions are written by the client's publisher
  thread and the traced code never waits; an op is versioned the first time
  it is called under a client. Offline (``HERON_MODE=offline``) calls keep
  the URIs but nothing is published; ``weave.publish`` raises there.

What cannot be stored raises UsageError naming the attribute: values are
JSON data (dict with string keys, list, str, number, bool, None),
datetimes, numpy scalars and arrays, pydantic models and dataclasses (kept as
dicts), weave Objects, ops, tables and refs.
"""

from __future__ import annotations

import dataclasses
import datetime
import inspect
import logging
import re
import textwrap
import weakref
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from heron.errors import HeronError, NotFoundError, StoreError, UsageError
from heron.store.base import canonical_json, json_digest, table_digest
from heron.weave import client as _state
from heron.weave.op import BoundOp, Op
from heron.weave.refs import SCHEME, ObjectRef, OpRef, Ref, TableRef, parse_uri

if TYPE_CHECKING:
    from heron.weave.client import WeaveClient
    from heron.weave.dataset import Table

log = logging.getLogger("heron")

_MAX_DEPTH = 100
_META_KEYS = ("_type", "_class_name", "_bases")
_CLASSES: dict[str, list[weakref.ref[type[Object]]]] = {}
"""Object classes by name, in definition order (reading rebuilds objects with them)."""
_OPS: weakref.WeakValueDictionary[str, Op] = weakref.WeakValueDictionary()
"""Live ops by the digest of their version, so a ref to an op loaded here calls it."""
_OP_VERSIONS: weakref.WeakKeyDictionary[Op, tuple[str, dict[str, Any], str]] = (
    weakref.WeakKeyDictionary()
)
_CLASS_OPS: weakref.WeakKeyDictionary[type, dict[str, Op]] = weakref.WeakKeyDictionary()
_WARNED: set[str] = set()


class Object(BaseModel):
    """A versioned value: subclass it with typed attributes, publish it, use it in calls.

    ``name`` is the name it is published under (default: the class name);
    ``ref`` is set once it is published (and cleared when an attribute
    changes). Op attributes of the class (``@weave.op`` methods) are part of
    the version, so changing their code makes a new version too.

    >>> class Prompt(weave.Object):
    ...     template: str
    >>> ref = weave.publish(Prompt(name="greeting", template="Hi {name}"))   # doctest: +SKIP
    >>> ref.get().template                                                   # doctest: +SKIP
    'Hi {name}'
    """

    name: str | None = None
    description: str | None = None
    ref: Any = Field(default=None, repr=False, exclude=True)

    model_config = ConfigDict(
        ignored_types=(Op, BoundOp),
        arbitrary_types_allowed=True,
        protected_namespaces=(),
        extra="forbid",
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _register(cls)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name != "ref" and self.__dict__.get("ref") is not None:
            self.__dict__["ref"] = None  # changed: the next publish or call makes a version

    def __eq__(self, other: object) -> bool:
        """Same class and attributes (``ref`` left out: a published copy equals the original)."""
        if not isinstance(other, BaseModel):
            return NotImplemented
        mine = {k: v for k, v in self.__dict__.items() if k != "ref"}
        theirs = {k: v for k, v in other.__dict__.items() if k != "ref"}
        return type(self) is type(other) and mine == theirs

    __hash__ = None  # type: ignore[assignment]

    def publish(self, name: str | None = None) -> ObjectRef:
        """``weave.publish(self, name)``."""
        return publish(self, name)

    def delete(self) -> None:
        """Delete the published version this object was read from or published as."""
        if self.ref is None:
            raise UsageError("this object has no ref: publish it (or read it from a ref) first")
        self.ref.delete()

    def _heron_ref_uri(self) -> str | None:
        """Its ref URI when a call holds it (see :mod:`heron.weave.serialize`); None untraced."""
        client = _state.active
        if client is None:
            return None
        return _call_uri(client, self)


def _register(cls: type[Object]) -> None:
    known = _CLASSES.setdefault(cls.__name__, [])
    known[:] = [r for r in known if r() is not None]
    known.append(weakref.ref(cls))


def _classes_named(name: str) -> list[type[Object]]:
    """Loaded classes of that name, the latest defined first."""
    found = [r() for r in reversed(_CLASSES.get(name, []))]
    return [cls for cls in found if cls is not None]


_register(Object)


class WeaveObject:
    """A published object whose class is not defined in this process: its attributes.

    Attributes are read-only; ``_class_name`` names the class it was
    published from, ``ref`` its version.
    """

    def __init__(
        self, class_name: str, bases: list[str], fields: dict[str, Any], ref: ObjectRef | None
    ) -> None:
        self.__dict__.update(
            {"_class_name": class_name, "_bases": bases, "_fields": fields, "ref": ref}
        )

    def __getattr__(self, name: str) -> Any:
        fields = self.__dict__["_fields"]
        if name in fields:
            return fields[name]
        raise AttributeError(f"{self._class_name} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise UsageError(f"{self._class_name} was read from a ref: its attributes are read-only")

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, WeaveObject)
            and other._class_name == self._class_name
            and other._fields == self._fields
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._fields.items())
        return f"WeaveObject({self._class_name}, {fields})"


class StoredOp:
    """An op version read from the store whose function is not loaded in this process.

    Heron never runs code read from the store: ``code`` holds the source;
    import the module that defines the op to call it.
    """

    def __init__(self, name: str, code: str, ref: ObjectRef) -> None:
        self.name = name
        self.code = code
        self.ref = ref

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise UsageError(
            f"op {self.name} was read from {self.ref.uri()} as source only; Heron does not run"
            " stored code: import the module that defines it and call that"
        )

    def __repr__(self) -> str:
        return f"<stored weave.op {self.name}>"


# ------------------------------------------------------------------ encoding


def object_name(text: str) -> str:
    """``text`` as a valid object name: other characters become ``-`` (at most 128)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).lstrip(".-")[:128].rstrip("-")
    if not name:
        raise UsageError(f"cannot make an object name of {text!r}: use letters and digits")
    return name


def _clean(text: str) -> str:
    """Text PostgreSQL can store and orjson can write: NUL and lone surrogates replaced."""
    if text.isascii() and "\x00" not in text:
        return text
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
    return text


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _is_clean(value: Any) -> bool:
    return type(value) is not str or (value.isascii() and "\x00" not in value)


def _bases(cls: type) -> list[str]:
    """Class names from ``cls``'s parent up to BaseModel, as weave records them."""
    names = []
    for klass in cls.__mro__[1:]:
        names.append(klass.__name__)
        if klass is BaseModel:
            break
    return names


def _base_object_class(cls: type) -> str:
    """The class just below ``Object`` in ``cls``'s ancestry (``Model`` for a model)."""
    chain = [k for k in cls.__mro__ if isinstance(k, type) and issubclass(k, Object)]
    return chain[-2].__name__ if len(chain) >= 2 else cls.__name__


def _class_ops(cls: type) -> dict[str, Op]:
    found = _CLASS_OPS.get(cls)
    if found is None:
        found = {}
        for klass in reversed(cls.__mro__):
            for key, value in vars(klass).items():
                if isinstance(value, Op):
                    found[key] = value
        _CLASS_OPS[cls] = found
    return found


def _op_version(op: Op) -> tuple[str, dict[str, Any], str]:
    """(name, value, digest) of an op: its name and captured source, computed once."""
    known = _OP_VERSIONS.get(op)
    if known is None:
        try:
            code = textwrap.dedent(inspect.getsource(op.fn))
        except (OSError, TypeError):  # no source file (a REPL, exec): its repr, sans address
            code = re.sub(r" at 0x[0-9a-fA-F]+", "", repr(op.fn))
        val = {"_type": "Op", "name": op.name, "code": _clean(code)}
        known = (object_name(op.name), val, json_digest(canonical_json(val)))
        _OP_VERSIONS[op] = known
        _OPS[known[2]] = op
    return known


@dataclasses.dataclass
class _Step:
    """One write of a publish: a table (``kind`` table) or an object or op version."""

    kind: str
    name: str
    digest: str
    val: Any = None
    base_object_class: str | None = None
    table: Table | None = None


class _Encoder:
    """Turns values into JSON data for one publish, collecting what must be stored first."""

    def __init__(self, client: WeaveClient, *, now: bool = False) -> None:
        self.client = client
        self.now = now
        """Store tables while encoding (the store computes their digests), for a publish."""
        self.steps: list[_Step] = []
        self._open: set[int] = set()

    # ---- references

    def object(self, obj: Object, name: str | None = None) -> ObjectRef:
        marker = id(obj)
        if marker in self._open:
            raise UsageError(f"{type(obj).__name__} holds itself: objects cannot be cyclic")
        self._open.add(marker)
        try:
            cls = type(obj)
            val: dict[str, Any] = {
                "_type": cls.__name__,
                "_class_name": cls.__name__,
                "_bases": _bases(cls),
            }
            for field in cls.model_fields:
                if field != "ref":
                    val[field] = self.value(getattr(obj, field), f"{cls.__name__}.{field}", 0)
            for attr, op in _class_ops(cls).items():
                val[attr] = self.op(op).uri()
        finally:
            self._open.discard(marker)
        title = object_name(name or obj.name or cls.__name__)
        return self.version("object", title, val, _base_object_class(cls))

    def op(self, op: Op, name: str | None = None) -> OpRef:
        title, val, digest = _op_version(op)
        if name is not None:
            title = object_name(name)
        self.steps.append(_Step("op", title, digest, val))
        return OpRef(self.client.entity, self.client.project, title, digest)

    def table(self, table: Table) -> TableRef:
        client = self.client
        known = table._ref
        if known is not None and (known.entity, known.project) == (client.entity, client.project):
            return known
        rows = [self.value(row, f"row {i}", 1) for i, row in enumerate(table)]
        if self.now:
            made = client.store().create_table(client.entity, client.project, rows)
            digest = made["digest"]
            with client._publish_lock:
                client._published.add(("table", "", digest))
            table._ref = TableRef(client.entity, client.project, digest)
            return table._ref
        digest = table_digest(json_digest(canonical_json(row)) for row in rows)
        self.steps.append(_Step("table", "", digest, rows, table=table))
        return TableRef(client.entity, client.project, digest)

    def version(
        self, kind: str, name: str, val: Any, base_object_class: str | None = None
    ) -> ObjectRef:
        try:
            digest = json_digest(canonical_json(val))
        except HeronError as exc:
            raise UsageError(f"cannot publish {name!r}: its value is {exc}") from None
        self.steps.append(_Step(kind, name, digest, val, base_object_class))
        cls = OpRef if kind == "op" else ObjectRef
        return cls(self.client.entity, self.client.project, name, digest)

    # ---- values

    def value(self, value: Any, path: str, depth: int) -> Any:
        kind = type(value)
        if value is None or kind is bool or kind is int or kind is float:
            return value
        if kind is str:
            return _clean(value)
        if depth > _MAX_DEPTH:
            raise UsageError(f"{path} is nested more than {_MAX_DEPTH} deep (a cycle?)")
        if kind is dict:
            for key, item in value.items():  # the common row: plain keys and values, copied
                if type(key) is not str or type(item) not in _PLAIN or not _is_clean(item):
                    break
            else:
                return dict(value)
            out = {}
            for key, item in value.items():
                if type(key) is not str:
                    raise UsageError(
                        f"{path} has the key {key!r}: keys must be strings to be stored"
                    )
                out[_clean(key)] = self.value(item, f"{path}[{key!r}]", depth + 1)
            return out
        if kind is list or kind is tuple:
            return [self.value(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
        return self._other(value, path, depth)

    def _other(self, value: Any, path: str, depth: int) -> Any:
        from heron.weave.dataset import Table

        if isinstance(value, Object):
            return self.object(value).uri()
        if isinstance(value, Ref):
            return value.uri()
        if isinstance(value, Op):
            return self.op(value).uri()
        if isinstance(value, BoundOp):
            return self.op(value.op).uri()
        if isinstance(value, Table):
            return self.table(value).uri()
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, str):
            return _clean(str(value))
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, dict):
            return self.value(dict(value), path, depth)
        if isinstance(value, (list, tuple)):
            return self.value(list(value), path, depth)
        if isinstance(value, datetime.datetime):
            iso = value.isoformat()
            return None if iso == "NaT" else {"_type": "datetime", "iso": iso}
        if isinstance(value, datetime.date):
            return {"_type": "date", "iso": value.isoformat()}
        if type(value).__module__.split(".")[0] == "numpy" and hasattr(value, "tolist"):
            return self.value(value.tolist(), path, depth + 1)
        if isinstance(value, (set, frozenset)):
            items = [self.value(item, f"{path}[...]", depth + 1) for item in value]
            return sorted(items, key=canonical_json)
        if isinstance(value, BaseModel):
            fields = {k: getattr(value, k) for k in type(value).model_fields}
            return {"_type": type(value).__name__, **self.value(fields, path, depth + 1)}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            return {"_type": type(value).__name__, **self.value(fields, path, depth + 1)}
        raise UsageError(
            f"cannot store {path}: a {type(value).__name__} is not JSON data, a weave.Object,"
            " an op or a ref; convert it (to a dict, a string...) or keep it out of the object"
        )

    # ---- storing

    def store(self, *, later: bool) -> None:
        """Write the steps: now, or on the client's publisher thread.

        Steps this client already wrote are skipped, but a publish rewrites
        object versions (cheap, and it brings back a version deleted since).
        """
        client = self.client
        todo: list[_Step] = []
        with client._publish_lock:
            for step in self.steps:
                key = (step.kind, step.name, step.digest)
                if key not in client._published or (not later and step.kind != "table"):
                    client._published.add(key)
                    todo.append(step)
        for step in todo:
            if step.table is not None:
                step.table._ref = TableRef(client.entity, client.project, step.digest)
        if not todo:
            return

        def write() -> None:
            try:
                _write_steps(client, todo)
            except BaseException:
                with client._publish_lock:
                    for step in todo:
                        client._published.discard((step.kind, step.name, step.digest))
                for step in todo:
                    if step.table is not None:
                        step.table._ref = None
                raise

        if later:
            client._publish_later(write)
        else:
            write()


def _write_steps(client: WeaveClient, steps: list[_Step]) -> None:
    store = client.store()
    entity, project = client.entity, client.project
    for step in steps:
        if step.kind == "table":
            made = store.create_table(entity, project, step.val)
        else:
            made = store.create_object(
                entity,
                project,
                step.name,
                step.val,
                kind=step.kind,
                base_object_class=step.base_object_class,
            )
        if made["digest"] != step.digest:
            raise StoreError(
                f"the store computed digest {made['digest']} for {step.kind} {step.name!r},"
                f" not {step.digest}: is the server running another Heron version?"
            )


def _publish_client() -> WeaveClient:
    client = _state.active
    if client is None:
        raise UsageError(
            "publishing needs an active weave client: call weave.init('project') first"
            " (tracing is off when WEAVE_DISABLED or HERON_MODE=disabled is set)"
        )
    if client.settings.mode == "offline":
        raise UsageError(
            "cannot publish in offline mode (HERON_MODE=offline): objects go straight to the"
            " store, which offline mode does not reach; publish once online"
        )
    return client


def publish(obj: Any, name: str | None = None) -> ObjectRef:
    """Store a version of ``obj`` and return its ref (``ref.uri()``, ``ref.get()``).

    ``obj`` is a ``weave.Object`` (published under ``name``, else its
    ``name``, else its class name), an op, or any other storable value (a
    dict, a list…), which needs a ``name``. The same content again returns
    the same version.

    >>> ref = weave.publish({"temperature": 0.2}, name="settings")   # doctest: +SKIP
    >>> ref.uri()                                                    # doctest: +SKIP
    'weave:///me/chat/object/settings:7f3a…'
    """
    client = _publish_client()
    if name is not None and not isinstance(name, str):
        raise UsageError(f"the name must be a string, not {type(name).__name__}")
    encoder = _Encoder(client, now=True)
    if isinstance(obj, Object):
        ref: ObjectRef = encoder.object(obj, name)
    elif isinstance(obj, (Op, BoundOp)):
        ref = encoder.op(obj.op if isinstance(obj, BoundOp) else obj, name)
    else:
        if name is None:
            raise UsageError(
                f"weave.publish() needs a name for a {type(obj).__name__}:"
                " weave.publish(value, name='...')"
            )
        title = object_name(name)
        ref = encoder.version("object", title, encoder.value(obj, title, 0))
    encoder.store(later=False)
    if isinstance(obj, Object):
        obj.__dict__["ref"] = ref
    return ref


def _warn_once(key: str, message: str, *args: Any) -> None:
    if key not in _WARNED:
        _WARNED.add(key)
        log.warning(message, *args)


def _call_uri(client: WeaveClient, obj: Object) -> str | None:
    """The URI a call records for ``obj``; its versions go to the publisher thread."""
    encoder = _Encoder(client)
    try:
        ref = encoder.object(obj)
    except HeronError as exc:
        _warn_once(
            f"class:{id(type(obj))}",
            "heron: calls record %s objects as plain values, not versions: %s",
            type(obj).__name__,
            exc,
        )
        return None
    if client.settings.mode != "offline":
        encoder.store(later=True)
    else:
        _warn_once("offline", "heron: offline mode: objects that calls refer to are not stored")
    obj.__dict__["ref"] = ref
    return ref.uri()


def op_uri(op: Op) -> str | None:
    """The ref URI a call records for an op passed as a value (None untraced)."""
    client = _state.active
    if client is None:
        return None
    try:
        title, _, digest = _op_version(op)
    except HeronError:
        return None
    publish_op_later(client, op)
    return OpRef(client.entity, client.project, title, digest).uri()


def publish_op_later(client: WeaveClient, op: Op) -> None:
    """Version ``op`` (its source) on the client's publisher thread, once per version."""
    if client.settings.mode == "offline":
        return
    encoder = _Encoder(client)
    encoder.op(op)
    encoder.store(later=True)


# ------------------------------------------------------------------ reading


def resolve(client: WeaveClient, ref: ObjectRef) -> Any:
    """The value ``ref`` names: a version read from the store, then the ref's path into it."""
    row = client._read_store().get_object(
        ref.entity, ref.project, ref.name, ref.digest, kind=ref.kind
    )
    exact = type(ref)(ref.entity, ref.project, ref.name, row["digest"])
    value = _Decoder(client).version(row, exact)
    for i in range(0, len(ref.extra) - 1, 2):
        value = _step_into(value, ref.extra[i], ref.extra[i + 1], ref)
    return value


def _step_into(value: Any, kind: str, key: str, ref: ObjectRef) -> Any:
    try:
        if kind == "attr":
            return getattr(value, key)
        if kind == "key":
            return value[key]
        if kind == "index":
            return value[int(key)]
    except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise NotFoundError(f"{ref.uri()}: there is no {kind} {key!r} ({exc})") from None
    raise UsageError(f"{ref.uri()}: {kind} paths are not supported; use attr, key or index")


class _Decoder:
    """Turns stored JSON data back into values: refs resolved, objects rebuilt."""

    def __init__(self, client: WeaveClient) -> None:
        self.client = client
        self.seen: dict[str, Any] = {}

    def version(self, row: dict[str, Any], ref: ObjectRef) -> Any:
        val = row["val"]
        if row["kind"] == "op":
            live = _OPS.get(row["digest"])
            if live is not None:
                return live
            return StoredOp(str(val.get("name", ref.name)), str(val.get("code", "")), ref)
        if isinstance(val, dict) and "_class_name" in val and "_bases" in val:
            return self.object(val, ref)
        return self.value(val)

    def value(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return self.ref(value) if value.startswith(SCHEME) else value
        if kind is list:
            return [self.value(item) for item in value]
        if kind is dict:
            if "_class_name" in value and "_bases" in value:
                return self.object(value, None)
            tagged = decode_tagged(value)
            if tagged is not value:
                return tagged
            return {key: self.value(item) for key, item in value.items()}
        return value

    def ref(self, uri: str) -> Any:
        if uri in self.seen:
            return self.seen[uri]
        try:
            found = parse_uri(uri)
        except UsageError:
            return uri
        if isinstance(found, TableRef):
            from heron.weave.dataset import Table

            result: Any = Table._stored(self.client, found)
        else:
            assert isinstance(found, ObjectRef)
            try:
                row = self.client.store().get_object(
                    found.entity, found.project, found.name, found.digest, kind=found.kind
                )
            except NotFoundError:
                _warn_once(f"missing:{uri}", "heron: %s is not in the store; kept as text", uri)
                return uri
            result = self.version(row, found)
        self.seen[uri] = result
        return result

    def object(self, val: dict[str, Any], ref: ObjectRef | None) -> Any:
        class_name = str(val["_class_name"])
        fields = {k: self.value(v) for k, v in val.items() if k not in _META_KEYS}
        bases = list(val.get("_bases") or [])
        problem = None
        for cls in _classes_named(class_name):  # the latest class it fits
            if _bases(cls) != bases:
                continue
            known = {k: v for k, v in fields.items() if k in cls.model_fields}
            try:
                obj = cls.model_validate(known)
            except ValidationError as exc:
                problem = exc.errors()[0].get("msg") if exc.errors() else str(exc)
                continue
            obj.__dict__["ref"] = ref
            return obj
        if problem is not None:
            _warn_once(
                f"rebuild:{class_name}",
                "heron: %s read from a ref does not fit the class defined here (%s);"
                " returning its attributes as a WeaveObject",
                class_name,
                problem,
            )
        return WeaveObject(class_name, bases, fields, ref)


def decode_tagged(value: dict[str, Any]) -> Any:
    """A datetime or date from its stored tag; ``value`` itself when it is no such tag."""
    kind = value.get("_type")
    if kind in ("datetime", "date") and len(value) == 2 and isinstance(value.get("iso"), str):
        try:
            if kind == "datetime":
                return datetime.datetime.fromisoformat(value["iso"])
            return datetime.date.fromisoformat(value["iso"])
        except ValueError:
            return value["iso"]
    return value
