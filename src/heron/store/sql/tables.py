"""The SQL tables of the store (SQLAlchemy Core), shared by both dialects.

Metric history is stored column-wise, not one row per point: each logged key
of a run has a ``history_keys`` row, and its numeric points live in
``history_chunks`` of up to :data:`CHUNK_POINTS` points, each chunk holding two
packed arrays (steps as little-endian int64, values as little-endian float64,
NaN and infinities kept in binary). Values that are not numbers (strings,
bools, lists, dicts, media stubs) are rows of ``history_values`` with the JSON
text of the value. This keeps a 100,000-row ``log()`` burst to a few hundred
inserts, and a chart read to a few blobs.

Migrations (``migrations/versions``) must create exactly these tables; a test
compares the migrated database with this metadata.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

CHUNK_POINTS = 4096
"""A key's last chunk takes new points until it holds this many; then a new chunk starts."""

STREAM_CODES = {"history": 0, "system": 1}
"""History streams as stored in ``history_keys.stream``."""

metadata = sa.MetaData()


class _JsonColumn(sa.types.TypeDecorator[Any]):
    """JSON text on SQLite, JSONB on PostgreSQL (indexable, compared by value).

    A decorator rather than ``JSON().with_variant(JSONB(), ...)`` so that
    defining the tables does not import SQLAlchemy's PostgreSQL dialect
    (~0.1 s) in processes that only use SQLite.
    """

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())


JsonType = _JsonColumn()


class _JsonValueColumn(sa.types.TypeDecorator[Any]):
    """Any JSON value, numbers and strings included: TEXT on SQLite, JSONB on PostgreSQL.

    SQLite gives a column declared ``JSON`` numeric affinity, so the JSON text
    ``8`` would come back as the integer 8; ``JsonType`` only ever holds
    objects and lists, which is safe, but a call's ``output`` may be a bare
    number. This type keeps TEXT affinity and does the JSON coding itself.
    """

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB(none_as_null=True))
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if dialect.name == "postgresql" or value is None:
            return value
        import orjson

        return orjson.dumps(value).decode()

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if dialect.name == "postgresql" or value is None:
            return value
        import orjson

        return orjson.loads(value)


JsonValueType = _JsonValueColumn()

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entity", sa.String(128), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_activity", sa.Float, nullable=False),
    sa.UniqueConstraint("entity", "name", name="uq_projects_entity_name"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "project_id",
        sa.Integer,
        sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_runs_project"),
        nullable=False,
    ),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("config", JsonType, nullable=False),
    sa.Column("summary", JsonType, nullable=False),
    sa.Column("tags", JsonType, nullable=False),
    sa.Column("notes", sa.Text, nullable=True),
    sa.Column("group", sa.String(256), nullable=True),
    sa.Column("job_type", sa.String(256), nullable=True),
    sa.Column("host", sa.String(256), nullable=True),
    sa.Column("user", sa.String(256), nullable=True),
    sa.Column("metadata", JsonType, nullable=False),
    sa.Column("metrics", JsonType, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("heartbeat_at", sa.Float, nullable=False),
    sa.Column("ended_at", sa.Float, nullable=True),
    sa.Column("exit_code", sa.Integer, nullable=True),
    sa.Column("last_step", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("project_id", "run_id", name="uq_runs_project_run_id"),
    sa.Index("ix_runs_project_created", "project_id", "created_at"),
    sa.Index("ix_runs_state_heartbeat", "state", "heartbeat_at"),
)

run_streams = sa.Table(
    "run_streams",
    metadata,
    sa.Column(
        "run",
        sa.Integer,
        sa.ForeignKey("runs.id", ondelete="CASCADE", name="fk_run_streams_run"),
        primary_key=True,
    ),
    sa.Column("stream_id", sa.String(200), primary_key=True),
    sa.Column("watermark", sa.BigInteger, nullable=False),
)

history_keys = sa.Table(
    "history_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "run",
        sa.Integer,
        sa.ForeignKey("runs.id", ondelete="CASCADE", name="fk_history_keys_run"),
        nullable=False,
    ),
    sa.Column("stream", sa.SmallInteger, nullable=False),
    sa.Column("key", sa.String(512), nullable=False),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("min_step", sa.BigInteger, nullable=False),
    sa.Column("max_step", sa.BigInteger, nullable=False),
    sa.Column("numeric", sa.Boolean, nullable=False),
    sa.Column("integer", sa.Boolean, nullable=False),
    sa.UniqueConstraint("run", "stream", "key", name="uq_history_keys_run_stream_key"),
)
"""``count`` counts every value (numeric or not); ``numeric`` is True while every value
was a number; ``integer`` while every numeric value was an int (they read back as ints)."""

history_chunks = sa.Table(
    "history_chunks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "key_id",
        sa.Integer,
        sa.ForeignKey("history_keys.id", ondelete="CASCADE", name="fk_history_chunks_key"),
        nullable=False,
    ),
    sa.Column("first_step", sa.BigInteger, nullable=False),
    sa.Column("last_step", sa.BigInteger, nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("steps", sa.LargeBinary, nullable=False),
    sa.Column("values", sa.LargeBinary, nullable=False),
    sa.Column("vmin", sa.Float, nullable=True),
    sa.Column("vmax", sa.Float, nullable=True),
    sa.Index("ix_history_chunks_key_first_step", "key_id", "first_step"),
)
"""``first_step``/``last_step`` are the smallest and largest step in the chunk;
``vmin``/``vmax`` the finite extremes (NULL when the chunk has none)."""

history_values = sa.Table(
    "history_values",
    metadata,
    sa.Column(
        "key_id",
        sa.Integer,
        sa.ForeignKey("history_keys.id", ondelete="CASCADE", name="fk_history_values_key"),
        primary_key=True,
    ),
    sa.Column("step", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("payload", sa.Text, nullable=False),
)

run_files = sa.Table(
    "run_files",
    metadata,
    sa.Column(
        "run",
        sa.Integer,
        sa.ForeignKey("runs.id", ondelete="CASCADE", name="fk_run_files_run"),
        primary_key=True,
    ),
    sa.Column("name", sa.String(1024), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

views = sa.Table(
    "views",
    metadata,
    sa.Column(
        "project_id",
        sa.Integer,
        sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_views_project"),
        primary_key=True,
    ),
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("spec", JsonType, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
"""Saved dashboard state of a project (the runs table's ``runset``, the ``workspace`` layout),
kept on the server so it survives reloads and is shared by every replica."""

run_output = sa.Table(
    "run_output",
    metadata,
    sa.Column(
        "run",
        sa.Integer,
        sa.ForeignKey("runs.id", ondelete="CASCADE", name="fk_run_output_run"),
        primary_key=True,
    ),
    sa.Column("line_no", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("text", sa.Text, nullable=False),
)
"""Console output, one row per completed line (``\\r`` redraws already collapsed), numbered
from 0 in the order the run printed them, so the Logs page can tail a running run."""

calls = sa.Table(
    "calls",
    metadata,
    sa.Column(
        "project_id",
        sa.Integer,
        sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_calls_project"),
        primary_key=True,
    ),
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("trace_id", sa.String(36), nullable=False),
    sa.Column("parent_id", sa.String(36), nullable=True),
    sa.Column("op_name", sa.String(512), nullable=False),
    sa.Column("display_name", sa.String(512), nullable=True),
    sa.Column("inputs", JsonType, nullable=False),
    sa.Column("output", JsonValueType, nullable=True),
    sa.Column("exception", sa.Text, nullable=True),
    sa.Column("summary", JsonType, nullable=False),
    sa.Column("attributes", JsonType, nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("ended_at", sa.Float, nullable=True),
    sa.Column("thread_id", sa.String(36), nullable=True),
    sa.Column("turn_id", sa.String(36), nullable=True),
    sa.Index("ix_calls_project_started", "project_id", "started_at"),
    sa.Index("ix_calls_project_trace", "project_id", "trace_id"),
    sa.Index("ix_calls_project_parent", "project_id", "parent_id"),
    sa.Index("ix_calls_project_op_started", "project_id", "op_name", "started_at"),
    sa.Index("ix_calls_project_thread", "project_id", "thread_id", "started_at"),
)
"""Weave calls (traced op invocations). ``id`` is a UUIDv7, so it sorts by start time;
``ended_at`` is NULL while the call runs; ``output`` is NULL for a call that
returned None or has not ended. ``thread_id``/``turn_id`` are set for calls made
inside ``weave.thread()``."""

call_streams = sa.Table(
    "call_streams",
    metadata,
    sa.Column(
        "project_id",
        sa.Integer,
        sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_call_streams_project"),
        primary_key=True,
    ),
    sa.Column("stream_id", sa.String(200), primary_key=True),
    sa.Column("watermark", sa.BigInteger, nullable=False),
)
"""The highest seq applied from each call log (stream) of a project."""

call_feedback = sa.Table(
    "call_feedback",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "project_id",
        sa.Integer,
        sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_call_feedback_project"),
        nullable=False,
    ),
    sa.Column("call_id", sa.String(36), nullable=False),
    sa.Column("feedback_type", sa.String(256), nullable=False),
    sa.Column("payload", JsonType, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.ForeignKeyConstraint(
        ["project_id", "call_id"],
        ["calls.project_id", "calls.id"],
        ondelete="CASCADE",
        name="fk_call_feedback_call",
    ),
    sa.Index("ix_call_feedback_call", "project_id", "call_id", "created_at"),
)
"""Reactions, notes and custom payloads attached to calls."""


def _project_fk(name: str, **kwargs: Any) -> sa.Column[int]:
    return sa.Column(
        "project_id",
        sa.Integer,
        sa.ForeignKey("projects.id", ondelete="CASCADE", name=name),
        **kwargs,
    )


weave_objects = sa.Table(
    "weave_objects",
    metadata,
    _project_fk("fk_weave_objects_project", primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("object_id", sa.String(256), primary_key=True),
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("version_index", sa.Integer, nullable=False),
    sa.Column("base_object_class", sa.String(128), nullable=True),
    sa.Column("val", JsonValueType, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("deleted_at", sa.Float, nullable=True),
    sa.UniqueConstraint(
        "project_id", "kind", "object_id", "version_index", name="uq_weave_objects_version"
    ),
    sa.Index("ix_weave_objects_project_kind", "project_id", "kind", "created_at"),
)
"""Versioned weave objects of a project: ``object_id`` is the published name, ``digest``
the sha256 of the canonical JSON ``val``, so the same content is the same version;
``version_index`` counts versions of a name from 0 (``v0``). ``kind`` is ``object`` or
``op`` (``val`` then holds the op's captured source); an op and an object may share a
name, as in weave's ``/op/NAME`` and ``/object/NAME`` refs. ``base_object_class`` names the
weave class (``Model``, ``Dataset``, ``Evaluation``, a user's ``Object`` subclass)."""

weave_tables = sa.Table(
    "weave_tables",
    metadata,
    _project_fk("fk_weave_tables_project", primary_key=True),
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("row_count", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)
"""Immutable row tables (a Dataset's rows), addressed by the digest of their row digests."""

weave_table_rows = sa.Table(
    "weave_table_rows",
    metadata,
    _project_fk("fk_weave_table_rows_project", primary_key=True),
    sa.Column("table_digest", sa.String(64), primary_key=True),
    sa.Column("row_index", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("row_digest", sa.String(64), nullable=False),
    sa.Column("val", JsonValueType, nullable=False),
)
"""The rows of a weave table in order, so a page is one range scan on the primary key."""

weave_costs = sa.Table(
    "weave_costs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    _project_fk("fk_weave_costs_project", nullable=False),
    sa.Column("llm_id", sa.String(256), nullable=False),
    sa.Column("provider_id", sa.String(128), nullable=False),
    sa.Column("prompt_token_cost", sa.Float, nullable=False),
    sa.Column("completion_token_cost", sa.Float, nullable=False),
    sa.Column("prompt_token_cost_unit", sa.String(16), nullable=False),
    sa.Column("completion_token_cost_unit", sa.String(16), nullable=False),
    sa.Column("effective_date", sa.Float, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_weave_costs_project_llm", "project_id", "llm_id", "effective_date"),
)
"""A project's own LLM prices (per token), overriding the built-in table from
``effective_date`` on; the newest effective row at a call's start time applies."""

# ---------------------------------------------------------------------- artifacts

artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "project_id",
        sa.Integer,
        sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_artifacts_project"),
        nullable=False,
    ),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.UniqueConstraint("project_id", "name", name="uq_artifacts_project_name"),
)
"""A named collection of versions in a project; ``description`` is the latest one logged."""

artifact_versions = sa.Table(
    "artifact_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "artifact_id",
        sa.Integer,
        sa.ForeignKey("artifacts.id", ondelete="CASCADE", name="fk_artifact_versions_artifact"),
        nullable=False,
    ),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("metadata", JsonType, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("file_count", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(330), nullable=True),
    sa.UniqueConstraint("artifact_id", "version", name="uq_artifact_versions_version"),
    sa.UniqueConstraint("artifact_id", "digest", name="uq_artifact_versions_digest"),
)
"""``digest`` is the manifest's (the same content is the same version); ``created_by`` the
path of the run that logged it first, kept as text since the run may reach the store later."""

artifact_files = sa.Table(
    "artifact_files",
    metadata,
    sa.Column(
        "version_id",
        sa.Integer,
        sa.ForeignKey("artifact_versions.id", ondelete="CASCADE", name="fk_artifact_files_version"),
        primary_key=True,
    ),
    sa.Column("path", sa.String(1024), primary_key=True),
    sa.Column("digest", sa.String(512), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=True),
    sa.Column("ref", sa.Text, nullable=True),
    sa.Index("ix_artifact_files_digest", "digest"),
)
"""A version's manifest: for stored files ``digest`` names the blob (``heron gc`` reads it)."""

artifact_aliases = sa.Table(
    "artifact_aliases",
    metadata,
    sa.Column(
        "artifact_id",
        sa.Integer,
        sa.ForeignKey("artifacts.id", ondelete="CASCADE", name="fk_artifact_aliases_artifact"),
        primary_key=True,
    ),
    sa.Column("alias", sa.String(128), primary_key=True),
    sa.Column(
        "version_id",
        sa.Integer,
        sa.ForeignKey(
            "artifact_versions.id", ondelete="CASCADE", name="fk_artifact_aliases_version"
        ),
        nullable=False,
    ),
    sa.Column("updated_at", sa.Float, nullable=False),
)
"""One version per alias per artifact (the primary key says so); ``latest`` is a row too."""

artifact_lineage = sa.Table(
    "artifact_lineage",
    metadata,
    sa.Column(
        "version_id",
        sa.Integer,
        sa.ForeignKey(
            "artifact_versions.id", ondelete="CASCADE", name="fk_artifact_lineage_version"
        ),
        primary_key=True,
    ),
    sa.Column("run_path", sa.String(330), primary_key=True),
    sa.Column("kind", sa.String(8), primary_key=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_artifact_lineage_run", "run_path", "kind"),
)
"""Run → version edges: ``kind`` is "logged" or "used"; runs are named by path (see above)."""

# ---------------------------------------------------------------------- registry

registries = sa.Table(
    "registries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entity", sa.String(128), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("entity", "name", name="uq_registries_entity_name"),
)
"""An entity's registries (``model`` by default): named sets of collections."""

registry_collections = sa.Table(
    "registry_collections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "registry_id",
        sa.Integer,
        sa.ForeignKey("registries.id", ondelete="CASCADE", name="fk_registry_collections_registry"),
        nullable=False,
    ),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("tags", JsonType, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.UniqueConstraint("registry_id", "name", name="uq_registry_collections_name"),
)
"""A registered model: ``description`` is its markdown model card."""

registry_links = sa.Table(
    "registry_links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "collection_id",
        sa.Integer,
        sa.ForeignKey(
            "registry_collections.id", ondelete="CASCADE", name="fk_registry_links_collection"
        ),
        nullable=False,
    ),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column(
        "source_id",
        sa.Integer,
        sa.ForeignKey("artifact_versions.id", ondelete="CASCADE", name="fk_registry_links_source"),
        nullable=False,
    ),
    sa.Column("linked_at", sa.Float, nullable=False),
    sa.Column("linked_by", sa.String(330), nullable=True),
    sa.UniqueConstraint("collection_id", "version", name="uq_registry_links_version"),
    sa.UniqueConstraint("collection_id", "source_id", name="uq_registry_links_source"),
)
"""An artifact version linked into a collection as its ``v{version}``; the lineage stays
the source version's."""

registry_aliases = sa.Table(
    "registry_aliases",
    metadata,
    sa.Column(
        "collection_id",
        sa.Integer,
        sa.ForeignKey(
            "registry_collections.id", ondelete="CASCADE", name="fk_registry_aliases_collection"
        ),
        primary_key=True,
    ),
    sa.Column("alias", sa.String(128), primary_key=True),
    sa.Column(
        "link_id",
        sa.Integer,
        sa.ForeignKey("registry_links.id", ondelete="CASCADE", name="fk_registry_aliases_link"),
        nullable=False,
    ),
    sa.Column("updated_at", sa.Float, nullable=False),
)
"""One linked version per alias per collection (the primary key says so)."""

registry_rules = sa.Table(
    "registry_rules",
    metadata,
    sa.Column(
        "collection_id",
        sa.Integer,
        sa.ForeignKey(
            "registry_collections.id", ondelete="CASCADE", name="fk_registry_rules_collection"
        ),
        primary_key=True,
    ),
    sa.Column("alias", sa.String(128), primary_key=True),
    sa.Column("rule", JsonType, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
"""Promotion gates: the rule a version must pass before ``alias`` may point at it."""

registry_alias_history = sa.Table(
    "registry_alias_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "collection_id",
        sa.Integer,
        sa.ForeignKey(
            "registry_collections.id", ondelete="CASCADE", name="fk_registry_history_collection"
        ),
        nullable=False,
    ),
    sa.Column("alias", sa.String(128), nullable=False),
    sa.Column("from_version", sa.Integer, nullable=True),
    sa.Column("to_version", sa.Integer, nullable=True),
    sa.Column("actor", sa.String(330), nullable=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Index("ix_registry_alias_history_collection", "collection_id", "id"),
)
"""Every alias change of a collection: ``from_version``/``to_version`` NULL for none."""

automations = sa.Table(
    "automations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entity", sa.String(128), nullable=False),
    sa.Column("project", sa.String(128), nullable=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("trigger", JsonType, nullable=False),
    sa.Column("action", JsonType, nullable=False),
    sa.Column("secret", sa.Text, nullable=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("entity", "name", name="uq_automations_entity_name"),
)
"""An event trigger and the action it runs; ``project`` NULL means every project of the
entity. ``secret`` signs webhook bodies and never leaves the store."""

automation_deliveries = sa.Table(
    "automation_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "automation_id",
        sa.Integer,
        sa.ForeignKey("automations.id", ondelete="CASCADE", name="fk_deliveries_automation"),
        nullable=False,
    ),
    sa.Column("event", JsonType, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", JsonType, nullable=False),
    sa.Column("request", JsonType, nullable=True),
    sa.Column("response_code", sa.Integer, nullable=True),
    sa.Column("duration_ms", sa.Float, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("next_attempt_at", sa.Float, nullable=True),
    sa.Column("lease_until", sa.Float, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    sa.Index("ix_deliveries_automation", "automation_id", "id"),
)
"""One row per event an automation acted on: ``pending`` (with ``next_attempt_at``),
``delivered``, ``failed`` or ``stored`` (a report action: kept for the reports feature).
``attempts`` lists every try (status code, timing, error); a worker claims a row by
setting ``lease_until``, so a restart or a second server resumes what was left."""
