"""The delivery worker: sends pending webhook deliveries in the background.

Events queue ``pending`` rows in ``automation_deliveries`` (see
:func:`heron.store.sql.registry.emit`); this worker, one named daemon thread
per :class:`SqlStore` (so one in the server process, and one in a script on
the embedded store), claims due rows by setting a lease, POSTs them with no
transaction open, and records each attempt. A failed attempt (connection
error, timeout, a non-2xx answer) is retried after ``backoff * 2**(n-1)``
seconds until the action's ``retries`` are spent. The request that caused an
event never waits for it. Rows left pending by a stopped process are resumed
by the next store that opens the database; a lease keeps two servers from
sending the same row twice.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from heron._version import __version__
from heron.artifacts.registry import SIGNATURE_HEADER, render, sign
from heron.store.sql.engine import read, write
from heron.store.sql.tables import automation_deliveries, automations

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

_D = automation_deliveries
LEASE_SECONDS = 120.0
"""How long a claimed delivery is left to its worker before another may take it."""
CLAIM_BATCH = 16
IDLE_WAIT = 5.0
"""Seconds between looks for due rows when nothing woke the worker (other replicas' rows)."""


class DeliveryWorker:
    """Sends due deliveries of one database; :meth:`kick` after queueing some."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def resume(self) -> None:
        """Start the worker if the database holds pending deliveries (one cheap query)."""
        with read(self.engine) as conn:
            pending = conn.execute(
                sa.select(_D.c.id).where(_D.c.status == "pending").limit(1)
            ).first()
        if pending is not None:
            self.kick()

    def kick(self) -> None:
        """Wake the worker (starting it on first use) to look for due deliveries."""
        with self._lock:
            if self._stop.is_set():
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="heron-automations", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread; rows it has not sent stay pending for the next store."""
        with self._lock:
            self._stop.set()
            self._wake.set()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def _loop(self) -> None:
        import httpx  # only a store that delivers webhooks pays for the import

        with httpx.Client(follow_redirects=False) as client:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    sent = self.run_due(client)
                    wait = 0.0 if sent else self._until_next_due()
                except Exception:  # the worker must outlive a bad row or a database blip
                    logger.exception("automation delivery worker failed; retrying")
                    wait = 1.0
                if wait:
                    self._wake.wait(wait)

    def _until_next_due(self) -> float:
        with read(self.engine) as conn:
            due = conn.execute(
                sa.select(sa.func.min(_D.c.next_attempt_at)).where(_D.c.status == "pending")
            ).scalar()
        if due is None:
            return IDLE_WAIT
        return min(max(float(due) - time.time(), 0.01), IDLE_WAIT)

    def run_due(self, client: httpx.Client) -> int:
        """Claim and send the deliveries due now; return how many were attempted."""
        now = time.time()
        due = (
            sa.select(_D.c.id)
            .where(
                _D.c.status == "pending",
                _D.c.next_attempt_at <= now,
                sa.or_(_D.c.lease_until.is_(None), _D.c.lease_until < now),
            )
            .order_by(_D.c.next_attempt_at, _D.c.id)
            .limit(CLAIM_BATCH)
        )
        if self.engine.dialect.name == "postgresql":
            # Two replicas must not claim the same row: lock it, skip rows another holds.
            due = due.with_for_update(skip_locked=True)
        # (SQLite: write() begins IMMEDIATE, so claims are serialised already.)
        with write(self.engine) as conn:
            ids = [int(i) for i in conn.execute(due).scalars()]
            if ids:
                conn.execute(
                    _D.update().where(_D.c.id.in_(ids)).values(lease_until=now + LEASE_SECONDS)
                )
        for pk in ids:
            if self._stop.is_set():
                break
            self._deliver(client, pk)
        return len(ids)

    def _deliver(self, client: httpx.Client, pk: int) -> None:
        with read(self.engine) as conn:
            row = conn.execute(
                sa.select(_D, automations.c.action, automations.c.secret, automations.c.enabled)
                .join(automations, automations.c.id == _D.c.automation_id)
                .where(_D.c.id == pk)
            ).first()
        if row is None:  # the automation was deleted meanwhile
            return
        action: dict[str, Any] = dict(row.action)
        event: dict[str, Any] = dict(row.event)
        attempts: list[dict[str, Any]] = list(row.attempts)
        if not row.enabled:
            self._finish(pk, attempts, None, "failed", None, None, "automation disabled", None)
            return
        payload = render(action["payload"], event) if "payload" in action else event
        body = orjson.dumps(payload)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"heron/{__version__}",
            "X-Heron-Event": str(event.get("event")),
            "X-Heron-Delivery": str(pk),
            **action.get("headers", {}),
        }
        if row.secret:
            headers[SIGNATURE_HEADER] = sign(row.secret, body)
        request = {"url": action["url"], "headers": headers, "body": payload}
        started = time.time()
        import httpx

        code: int | None = None
        error: str | None = None
        try:
            response = client.post(
                action["url"], content=body, headers=headers, timeout=float(action["timeout"])
            )
            code = response.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}: {response.text[:200]}"
        except httpx.TimeoutException:
            error = f"timed out after {action['timeout']} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        took = round((time.time() - started) * 1000, 3)
        attempts.append({"at": started, "status_code": code, "duration_ms": took, "error": error})
        if error is None:
            self._finish(pk, attempts, request, "delivered", code, took, None, None)
        elif len(attempts) > int(action["retries"]):
            self._finish(pk, attempts, request, "failed", code, took, error, None)
        else:
            delay = float(action["backoff"]) * 2 ** (len(attempts) - 1)
            self._finish(pk, attempts, request, "pending", code, took, error, time.time() + delay)

    def _finish(
        self,
        pk: int,
        attempts: list[dict[str, Any]],
        request: dict[str, Any] | None,
        status: str,
        code: int | None,
        took: float | None,
        error: str | None,
        next_at: float | None,
    ) -> None:
        with write(self.engine) as conn:
            conn.execute(
                _D.update()
                .where(_D.c.id == pk)
                .values(
                    status=status,
                    attempts=attempts,
                    request=request,
                    response_code=code,
                    duration_ms=took,
                    error=error,
                    next_attempt_at=next_at,
                    lease_until=None,
                    updated_at=time.time(),
                )
            )
