"""The model registry and automations: plain records, their rules, and the SDK's handles.

A *registry* (``model`` by default) of an entity holds *collections*
(registered models, each with a markdown model card and tags). Linking an
artifact version into a collection makes it the collection's ``v{n}``; the
link points at the source version, so its lineage stays the source's.
Aliases (``staging``, ``production``) each name one linked version per
collection, and an alias may carry a *promotion rule* that a version must
pass first (``{"metric": "val/accuracy", "op": ">=", "value": 0.95}``: the
summary of the run that logged the version). Every alias change is kept.

*Automations* act on events (a new artifact version, a version linked, an
alias added, a run finished or failed, a run metric crossing a threshold)
with a signed webhook POST or a stored "create a report" action. Each action
is a *delivery*, kept in the database and sent by a background worker.

>>> reg = heron.Api().registry("model")                                  # doctest: +SKIP
>>> reg.create_collection("digits-cnn", description="# Digits CNN")       # doctest: +SKIP
>>> run.link_model("model.pt", "digits-cnn", aliases=["staging"])        # doctest: +SKIP
>>> run.use_model("registry/digits-cnn:production")                      # doctest: +SKIP

Nothing above the SDK handles imports a database or HTTP library.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import hmac
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from heron.artifacts.entities import LATEST, ArtifactVersion, check_alias, version_index
from heron.entities import _Record, check_name
from heron.errors import InvalidValueError, UsageError

if TYPE_CHECKING:
    from heron.store.base import Store

DEFAULT_REGISTRY = "model"
REGISTRY_PREFIX = "registry/"
RULE_OPS = (">=", ">", "<=", "<", "==", "!=")
MAX_TAGS = 64
SIGNATURE_HEADER = "X-Heron-Signature"
EVENTS = (
    "artifact_version_created",
    "version_linked",
    "alias_added",
    "run_finished",
    "run_metric",
)
ACTION_KINDS = ("webhook", "report")
DELIVERY_STATES = ("pending", "delivered", "failed", "stored")
MAX_RETRIES = 10
MAX_TIMEOUT = 60.0

_TEMPLATE_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")


# ---------------------------------------------------------------------- records


@dataclasses.dataclass(frozen=True)
class RegistryInfo(_Record):
    """A registry of an entity."""

    entity: str
    name: str
    description: str | None = None
    created_at: float = 0.0


@dataclasses.dataclass(frozen=True)
class Collection(_Record):
    """A registered model: its card (``description``, markdown), tags and promotion rules."""

    entity: str
    registry: str
    name: str
    description: str | None = None
    tags: list[str] = dataclasses.field(default_factory=list)
    rules: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    version_count: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def path(self) -> str:
        return f"{REGISTRY_PREFIX}{self.registry}/{self.name}"


@dataclasses.dataclass(frozen=True)
class LinkedVersion(_Record):
    """A version of a collection (``v{version}``) and the artifact version it links."""

    entity: str
    registry: str
    collection: str
    version: int
    source: ArtifactVersion
    aliases: list[str] = dataclasses.field(default_factory=list)
    linked_at: float = 0.0
    linked_by: str | None = None

    @property
    def version_name(self) -> str:
        return f"v{self.version}"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinkedVersion:
        fields = dict(data)
        fields["source"] = ArtifactVersion.from_dict(data["source"])
        return cls(**fields)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["source"] = self.source.to_dict()
        return out


@dataclasses.dataclass(frozen=True)
class AliasChange(_Record):
    """One alias change of a collection: ``from_version`` → ``to_version`` (None: none)."""

    alias: str
    from_version: int | None
    to_version: int | None
    actor: str | None
    at: float


@dataclasses.dataclass(frozen=True)
class Automation(_Record):
    """A trigger and its action; ``project`` None means every project of the entity.

    The webhook secret is never returned; ``has_secret`` says whether one is set.
    """

    id: int
    entity: str
    name: str
    trigger: dict[str, Any]
    action: dict[str, Any]
    project: str | None = None
    enabled: bool = True
    has_secret: bool = False
    created_at: float = 0.0


@dataclasses.dataclass(frozen=True)
class Delivery(_Record):
    """One action run for one event: every attempt (status code, time taken, error) is kept."""

    id: int
    automation_id: int
    event: dict[str, Any]
    status: str
    attempts: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    request: dict[str, Any] | None = None
    response_code: int | None = None
    duration_ms: float | None = None
    error: str | None = None
    next_attempt_at: float | None = None
    created_at: float = 0.0
    updated_at: float = 0.0


# ---------------------------------------------------------------------- rules


def check_registry_name(value: object) -> str:
    return check_name("registry", value)


def check_collection_name(value: object) -> str:
    return check_name("collection", value)


def check_tags(tags: object) -> list[str]:
    if isinstance(tags, str) or not isinstance(tags, (list, tuple)):
        raise InvalidValueError(f"tags must be a list of strings, not {tags!r}")
    if len(tags) > MAX_TAGS or not all(isinstance(t, str) and 0 < len(t) <= 128 for t in tags):
        raise InvalidValueError(f"tags must be at most {MAX_TAGS} strings of 1-128 characters")
    return list(dict.fromkeys(tags))


def check_link_alias(value: object) -> str:
    alias = check_alias(value)
    if alias == LATEST:
        raise UsageError("'latest' moves to the newest linked version by itself; it cannot be set")
    return alias


def check_rule(rule: object) -> dict[str, Any]:
    """A promotion rule: ``{"metric": key, "op": one of RULE_OPS, "value": number}``,
    or an evaluation gate ``{"kind": "evaluation", "scorer": "accuracy.mean", "op", "value"}``."""
    if isinstance(rule, dict) and rule.get("kind") == "evaluation":
        return check_evaluation_rule(rule)
    if not isinstance(rule, dict) or set(rule) != {"metric", "op", "value"}:
        raise InvalidValueError(
            f"a promotion rule is {{'metric': 'val/accuracy', 'op': '>=', 'value': 0.95}},"
            f" not {rule!r}"
        )
    metric, op, value = rule["metric"], rule["op"], rule["value"]
    if not isinstance(metric, str) or not metric:
        raise InvalidValueError("a promotion rule's metric must name a summary key")
    if op not in RULE_OPS:
        raise InvalidValueError(f"a promotion rule's op must be one of {RULE_OPS}, not {op!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidValueError(f"a promotion rule's value must be a finite number, not {value!r}")
    return {"metric": metric, "op": op, "value": value}


EVALUATION_OP = "Evaluation.evaluate"
"""The op whose finished calls are evaluations (see :mod:`heron.weave.evaluation`)."""
ARTIFACT_ATTRIBUTE = "heron.artifact"
"""The call attribute naming the artifact version an evaluation evaluated."""


def check_evaluation_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """An evaluation gate: the newest evaluation of the version must have ``scorer`` op value."""
    if set(rule) != {"kind", "scorer", "op", "value"}:
        raise InvalidValueError(
            "an evaluation rule is {'kind': 'evaluation', 'scorer': 'accuracy.mean',"
            f" 'op': '>=', 'value': 0.9}}, not {rule!r}"
        )
    scorer, op, value = rule["scorer"], rule["op"], rule["value"]
    if not isinstance(scorer, str) or not scorer.strip("."):
        raise InvalidValueError(
            "an evaluation rule's scorer is a path into the evaluation summary,"
            " such as 'accuracy.mean' or 'correct.true_fraction'"
        )
    if op not in RULE_OPS:
        raise InvalidValueError(f"a promotion rule's op must be one of {RULE_OPS}, not {op!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidValueError(f"a promotion rule's value must be a finite number, not {value!r}")
    return {"kind": "evaluation", "scorer": scorer, "op": op, "value": value}


def artifact_names(version: ArtifactVersion) -> set[str]:
    """What ``heron.artifact`` may say to name ``version``: with or without entity/project,
    by version number or digest."""
    full = f"{version.entity}/{version.project}/{version.name}"
    short = f"{version.project}/{version.name}"
    tags = (f"v{version.version}", version.digest)
    return {f"{prefix}:{tag}" for prefix in (full, short, version.name) for tag in tags}


def evaluation_refusal(
    rule: dict[str, Any], alias: str, version_label: str, found: tuple[str, Any] | None
) -> str | None:
    """Why a version may not take ``alias`` under an evaluation rule; None when it passes.

    ``found`` is ``(call id, summary)`` of the newest finished evaluation of
    the version, or None when there is none.
    """
    want = f"an evaluation with {rule['scorer']!r} {rule['op']} {rule['value']}"
    if found is None:
        return (
            f"alias {alias!r} requires {want}, but no finished evaluation of {version_label} was"
            f" found (run it under weave.attributes({{{ARTIFACT_ATTRIBUTE!r}: {version_label!r}}}))"
        )
    call_id, summary = found
    value = summary_value(summary, rule["scorer"]) if isinstance(summary, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"alias {alias!r} requires {want}, but evaluation {call_id} has no such number"
    if math.isnan(value) or not compare(float(value), rule["op"], float(rule["value"])):
        return f"alias {alias!r} requires {want}, but evaluation {call_id} has {value}"
    return None


def compare(left: float, op: str, right: float) -> bool:
    return {
        ">=": left >= right,
        ">": left > right,
        "<=": left <= right,
        "<": left < right,
        "==": left == right,
        "!=": left != right,
    }[op]


def summary_value(summary: dict[str, Any], key: str) -> Any:
    """A summary value by key, nested dicts reached by a dotted or slashed key as logged."""
    if key in summary:
        return summary[key]
    node: Any = summary
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def rule_refusal(
    rule: dict[str, Any], alias: str, run_path: str | None, summary: Any
) -> str | None:
    """Why a version may not take ``alias`` under ``rule``; None when it passes."""
    want = f"summary {rule['metric']!r} {rule['op']} {rule['value']}"
    if run_path is None:
        return f"alias {alias!r} requires {want}, but no run logged this version"
    if summary is None:
        return f"alias {alias!r} requires {want}, but run {run_path} is not in the store"
    value = summary_value(summary, rule["metric"])
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"alias {alias!r} requires {want}, but run {run_path} has no such numeric summary"
    if math.isnan(value) or not compare(float(value), rule["op"], float(rule["value"])):
        return f"alias {alias!r} requires {want}, but run {run_path} has {value}"
    return None


def check_trigger(trigger: object) -> dict[str, Any]:
    """A trigger: ``{"event": one of EVENTS, ...filters}``; see docs/registry.md."""
    if not isinstance(trigger, dict) or trigger.get("event") not in EVENTS:
        raise InvalidValueError(
            f"a trigger is a dict whose 'event' is one of {', '.join(EVENTS)}; got {trigger!r}"
        )
    trigger = dict(trigger)
    event = trigger["event"]
    allowed = {
        "artifact_version_created": {"type", "name"},
        "version_linked": {"registry", "collection"},
        "alias_added": {"alias", "registry", "collection"},
        "run_finished": {"states"},
        "run_metric": {"key", "op", "value"},
    }[event]
    extra = set(trigger) - allowed - {"event"}
    if extra:
        raise InvalidValueError(
            f"trigger {event!r} takes {sorted(allowed) or 'no filters'}, not {sorted(extra)}"
        )
    for key in allowed - {"states", "value"}:
        if key in trigger and not isinstance(trigger[key], str):
            raise InvalidValueError(f"trigger filter {key!r} must be a string")
    if event == "run_finished":
        states = trigger.setdefault("states", ["finished", "failed"])
        if not isinstance(states, list) or not states or not set(states) <= {"finished", "failed"}:
            raise InvalidValueError("run_finished 'states' lists 'finished' and/or 'failed'")
    if event == "run_metric":
        check_rule(
            {"metric": trigger.get("key"), "op": trigger.get("op"), "value": trigger.get("value")}
        )
    return dict(trigger)


def check_action(action: object) -> dict[str, Any]:
    """An action: a ``webhook`` (url, headers, payload, retries, backoff, timeout) or ``report``."""
    if not isinstance(action, dict) or action.get("kind") not in ACTION_KINDS:
        raise InvalidValueError(
            f"an action is a dict whose 'kind' is 'webhook' or 'report'; got {action!r}"
        )
    out = dict(action)
    if out["kind"] == "report":
        if not isinstance(out.get("template"), dict):
            raise InvalidValueError("a report action needs a 'template' dict (title, blocks, …)")
        return out
    url = out.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidValueError(f"a webhook needs an http:// or https:// 'url', not {url!r}")
    headers = out.setdefault("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise InvalidValueError("webhook 'headers' must map strings to strings")
    retries = out.setdefault("retries", 3)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        raise InvalidValueError(f"webhook 'retries' must be an integer 0-{MAX_RETRIES}")
    for key, default, top in (("backoff", 1.0, 3600.0), ("timeout", 10.0, MAX_TIMEOUT)):
        value = out.setdefault(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= top:
            raise InvalidValueError(f"webhook {key!r} must be seconds in (0, {top}]")
    extra = set(out) - {"kind", "url", "headers", "payload", "retries", "backoff", "timeout"}
    if extra:
        raise InvalidValueError(f"unknown webhook settings {sorted(extra)}")
    return out


def trigger_matches(trigger: dict[str, Any], event: dict[str, Any]) -> bool:
    """True when ``event`` (a dict with ``event`` and its fields) fires ``trigger``."""
    if trigger["event"] != event["event"]:
        return False
    kind = event["event"]
    if kind == "artifact_version_created":
        return all(
            trigger.get(k) is None or trigger[k] == event.get(f"artifact_{k}")
            for k in ("type", "name")
        )
    if kind in ("version_linked", "alias_added"):
        if trigger.get("registry") not in (None, event.get("registry")):
            return False
        if trigger.get("collection") not in (None, event.get("collection")):
            return False
        if kind == "alias_added":
            return fnmatch.fnmatchcase(str(event.get("alias")), trigger.get("alias", "*"))
        return True
    if kind == "run_finished":
        return event.get("state") in trigger["states"]
    return trigger.get("key") == event.get("key")


def render(template: Any, event: dict[str, Any]) -> Any:
    """The payload template with ``${field}`` filled from the event.

    A string that is just ``${field}`` becomes the field's value as is (a
    list stays a list); inside longer strings fields are written as text. An
    unknown field renders as null / an empty string.
    """
    if isinstance(template, dict):
        return {k: render(v, event) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, event) for v in template]
    if isinstance(template, str):
        whole = _TEMPLATE_RE.fullmatch(template)
        if whole:
            return event.get(whole.group(1))
        return _TEMPLATE_RE.sub(lambda m: _text(event.get(m.group(1))), template)
    return template


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def sign(secret: str, body: bytes) -> str:
    """The signature header value: ``sha256=<hex HMAC-SHA256 of the body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """True when ``header`` is the signature of ``body`` under ``secret`` (constant time)."""
    return hmac.compare_digest(sign(secret, body), header or "")


def parse_registry_path(path: str) -> tuple[str, str, str] | None:
    """``registry/[<registry>/]<collection>[:ref]`` → (registry, collection, ref); else None."""
    if not isinstance(path, str) or not path.startswith(REGISTRY_PREFIX):
        return None
    head, _, ref = path[len(REGISTRY_PREFIX) :].partition(":")
    parts = head.split("/")
    if len(parts) not in (1, 2) or not all(parts):
        raise UsageError(
            f"invalid registry path {path!r}: expected 'registry/[registry/]collection[:alias]'"
        )
    registry = parts[0] if len(parts) == 2 else DEFAULT_REGISTRY
    ref = ref or LATEST
    if version_index(ref) is None:
        check_alias(ref)
    return check_registry_name(registry), check_collection_name(parts[-1]), ref


# ---------------------------------------------------------------------- SDK handles


class Registry:
    """A registry of an entity, as ``Api().registry(name)`` returns it."""

    def __init__(self, store: Store, info: RegistryInfo, actor: str | None = None) -> None:
        self._store = store
        self.info = info
        self._actor = actor

    @property
    def name(self) -> str:
        return self.info.name

    def __repr__(self) -> str:
        return f"<Registry {self.info.entity}/{self.name}>"

    def collections(self) -> list[CollectionHandle]:
        """The registry's collections, sorted by name."""
        return [
            CollectionHandle(self._store, c, self._actor)
            for c in self._store.list_collections(self.info.entity, self.name)
        ]

    def collection(self, name: str) -> CollectionHandle:
        """One collection; raises NotFoundError."""
        found = self._store.get_collection(self.info.entity, self.name, name)
        return CollectionHandle(self._store, found, self._actor)

    def create_collection(
        self, name: str, description: str | None = None, tags: Sequence[str] = ()
    ) -> CollectionHandle:
        """Create a collection (a registered model) with its model card and tags."""
        made = self._store.create_collection(
            self.info.entity, self.name, name, description=description, tags=list(tags)
        )
        return CollectionHandle(self._store, made, self._actor)


class CollectionHandle:
    """A collection's versions, aliases, promotion rules and alias history."""

    def __init__(self, store: Store, info: Collection, actor: str | None = None) -> None:
        self._store = store
        self.info = info
        self._actor = actor

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def description(self) -> str | None:
        return self.info.description

    @property
    def tags(self) -> list[str]:
        return list(self.info.tags)

    @property
    def rules(self) -> dict[str, dict[str, Any]]:
        return dict(self.info.rules)

    def __repr__(self) -> str:
        return f"<Collection {self.info.entity}/{self.info.path}>"

    def _key(self) -> tuple[str, str, str]:
        return self.info.entity, self.info.registry, self.info.name

    def update(self, description: str | None = None, tags: Sequence[str] | None = None) -> None:
        """Change the model card and/or tags (None leaves one as it is)."""
        self.info = self._store.update_collection(
            *self._key(), description=description, tags=None if tags is None else list(tags)
        )

    def versions(self) -> list[LinkedVersion]:
        """The linked versions, oldest first."""
        return self._store.list_linked_versions(*self._key())

    def version(self, ref: str = LATEST) -> LinkedVersion:
        """The linked version ``ref`` names (``v2``, ``production``, ``latest``)."""
        return self._store.get_linked_version(*self._key(), ref)

    def set_alias(self, alias: str, version: int) -> LinkedVersion:
        """Move ``alias`` to linked version ``version``; refused (UsageError) by its rule."""
        return self._store.set_collection_alias(*self._key(), alias, version, actor=self._actor)

    def remove_alias(self, alias: str) -> None:
        self._store.remove_collection_alias(*self._key(), alias, actor=self._actor)

    def set_rule(self, alias: str, metric: str, op: str, value: float) -> None:
        """Gate ``alias``: a version may take it only if its logging run's summary passes."""
        self.info = self._store.set_alias_rule(
            *self._key(), alias, {"metric": metric, "op": op, "value": value}
        )

    def set_evaluation_rule(self, alias: str, scorer: str, op: str, value: float) -> None:
        """Gate ``alias`` on the version's newest evaluation: its summary at ``scorer``
        (``"accuracy.mean"``, ``"correct.true_fraction"``) must pass ``op value``.

        An evaluation is the version's when it ran under
        ``weave.attributes({"heron.artifact": "entity/project/name:v3"})`` or
        evaluated a ``weave.Model`` whose ``artifact`` attribute says so.
        """
        self.info = self._store.set_alias_rule(
            *self._key(),
            alias,
            {"kind": "evaluation", "scorer": scorer, "op": op, "value": value},
        )

    def remove_rule(self, alias: str) -> None:
        self.info = self._store.set_alias_rule(*self._key(), alias, None)

    def alias_history(self) -> list[AliasChange]:
        """Every alias change, oldest first."""
        return self._store.alias_history(*self._key())


def link_artifact(
    artifact: Any, target_path: str, aliases: Sequence[str] | None, actor: str | None = None
) -> LinkedVersion:
    """Link a logged :class:`~heron.artifacts.artifact.Artifact` (waiting for a queued one)."""
    version, store = artifact._logged()
    pending = getattr(artifact, "_pending", None)
    if actor is None:
        actor = pending.run._key.path if pending is not None else local_actor()
    return link(store, version, target_path, aliases, actor)


def link(
    store: Store,
    source: ArtifactVersion,
    target_path: str,
    aliases: Sequence[str] | None,
    actor: str | None,
    entity: str | None = None,
) -> LinkedVersion:
    """Link ``source`` into ``registry/[<registry>/]<collection>`` (made if absent)."""
    if isinstance(aliases, str):
        aliases = [aliases]
    parsed = parse_registry_path(target_path)
    if parsed is None:
        parsed = (DEFAULT_REGISTRY, check_collection_name(target_path), LATEST)
    registry, collection, _ = parsed
    return store.link_version(
        entity or source.entity,
        registry,
        collection,
        source.entity,
        source.project,
        source.name,
        source.version_name,
        aliases=list(aliases or ()),
        actor=actor,
    )


def resolve_path(store: Store, entity: str, path: str) -> str:
    """``registry/<collection>:<alias>`` → the linked source version's qualified name.

    Any other path is returned as it is, so callers can pass every path through.
    """
    parsed = parse_registry_path(path)
    if parsed is None:
        return path
    registry, collection, ref = parsed
    return store.get_linked_version(entity, registry, collection, ref).source.qualified_name


def local_actor() -> str:
    """Who acts when no API key or run says so: the OS user."""
    import getpass

    try:
        return f"user:{getpass.getuser()}"
    except (KeyError, OSError):
        return "user:unknown"


class AutomationHandle:
    """An automation as ``Api().automations()`` returns it: enable, disable, deliveries."""

    def __init__(self, store: Store, info: Automation) -> None:
        self._store = store
        self.info = info

    @property
    def id(self) -> int:
        return self.info.id

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def enabled(self) -> bool:
        return self.info.enabled

    def __repr__(self) -> str:
        state = "enabled" if self.enabled else "disabled"
        return f"<Automation {self.info.entity}/{self.name} {self.info.trigger['event']} {state}>"

    def enable(self) -> None:
        self.info = self._store.set_automation_enabled(self.info.entity, self.id, True)

    def disable(self) -> None:
        self.info = self._store.set_automation_enabled(self.info.entity, self.id, False)

    def delete(self) -> None:
        self._store.delete_automation(self.info.entity, self.id)

    def deliveries(self, limit: int = 100) -> list[Delivery]:
        """The newest deliveries first, each with every attempt's status code, timing, error."""
        return self._store.list_deliveries(self.info.entity, self.id, limit=limit)
