"""Set-based writes of the delivery hot path on PostgreSQL.

For every event the consumer stores a message and one delivery per endpoint, and for every POST an
attempt row and the delivery's new state: thousands of rows a second. Through the ORM, building
model instances and quoting their values into SQL text in Python cost the consumer about as much
CPU as the HTTP requests themselves. Here each batch is one statement over `unnest` of arrays that
travel as bound parameters (server-side binding, psycopg's binary dumpers), so the per-row work
happens in PostgreSQL.

Other databases (SQLite, the embedded default) use the ORM in `fanout` and `outcomes`; the tests
run both paths against the same expectations. The column lists mirror `webhooks.models`: a field
added there without a database default must be added here too (the tests would fail first).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from ekyam.db import binding_cursor, set_based_writes


def enabled() -> bool:
    return set_based_writes()


class NewMessage(NamedTuple):  # tuples: thousands are built a second
    organization_id: int
    event_id: uuid.UUID
    webhook_id: str
    event_type: str
    body_json: str
    occurred_at: datetime
    published_at: datetime | None
    event_key: str = ""
    trace_context: str = ""  # the W3C traceparent attempts continue ("" untraced)


class CreatedDelivery(NamedTuple):
    delivery_id: int
    endpoint_id: int
    message_index: int  # position of its message in the list given to `store_messages_and_deliveries`


_STORE_SQL = """
WITH input AS (
    SELECT * FROM unnest(%(org)b::bigint[], %(event)b::uuid[], %(webhook)b::text[], %(type)b::text[],
                         %(key)b::text[], %(body)b::text[], %(occurred)b::timestamptz[], %(published)b::timestamptz[],
                         %(trace)b::text[])
        WITH ORDINALITY
        AS t(organization_id, event_id, webhook_id, event_type, event_key, body, occurred_at, published_at,
             trace_context, i)
),
inserted AS (
    INSERT INTO webhooks_message
        (organization_id, event_id, webhook_id, event_type, event_key, body, occurred_at, published_at,
         trace_context, created_at)
    SELECT organization_id, event_id, webhook_id, event_type, event_key, body::jsonb, occurred_at, published_at,
           trace_context, %(now)s
    FROM input
    ON CONFLICT DO NOTHING
    RETURNING id, organization_id, event_id
),
-- A redelivered event's message exists already (the statement's snapshot sees it, not `inserted`).
messages AS (
    SELECT i.i, i.organization_id, n.id FROM inserted n JOIN input i USING (organization_id, event_id)
    UNION
    SELECT i.i, i.organization_id, m.id FROM webhooks_message m JOIN input i USING (organization_id, event_id)
),
targets AS (
    SELECT * FROM unnest(%(t_index)b::bigint[], %(t_endpoint)b::bigint[], %(t_claim)b::boolean[])
        AS t(i, endpoint_id, claim)
),
created AS (
    INSERT INTO webhooks_delivery
        (organization_id, message_id, endpoint_id, status, attempt_count, replay_base, next_attempt_at,
         claimed_until, claim_token, last_error, created_at, updated_at)
    SELECT m.organization_id, m.id, t.endpoint_id, 'pending', 0, 0, %(now)s,
           CASE WHEN t.claim THEN %(lease)s::timestamptz END, CASE WHEN t.claim THEN %(token)s ELSE '' END, '',
           %(now)s, %(now)s
    FROM targets t JOIN messages m USING (i)
    ON CONFLICT DO NOTHING
    RETURNING id, message_id, endpoint_id
)
-- An event twice in one batch has two positions and one message: either position describes it.
SELECT c.id, c.endpoint_id, min(m.i) - 1
FROM created c JOIN messages m ON m.id = c.message_id
GROUP BY c.id, c.endpoint_id
"""


def store_messages_and_deliveries(
    messages: list[NewMessage], targets: list[tuple[int, int, bool]], *, now, token: str, lease_until
) -> list[tuple[int, int, int]]:
    """Insert the messages (existing ones are kept) and one delivery per (message index, endpoint
    id, claim) target that does not exist yet, claimed when `claim` (unclaimed ones are held for a
    disabled endpoint); return the deliveries created now."""
    params = {
        "org": [m.organization_id for m in messages],
        "event": [m.event_id for m in messages],
        "webhook": [m.webhook_id for m in messages],
        "type": [m.event_type for m in messages],
        "key": [m.event_key for m in messages],
        "body": [m.body_json for m in messages],
        "occurred": [m.occurred_at for m in messages],
        "published": [m.published_at for m in messages],
        "trace": [m.trace_context for m in messages],
        # WITH ORDINALITY counts from 1.
        "t_index": [index + 1 for index, _, _ in targets],
        "t_endpoint": [endpoint_id for _, endpoint_id, _ in targets],
        "t_claim": [claim for _, _, claim in targets],
        "now": now,
        "lease": lease_until,
        "token": token,
    }
    with binding_cursor() as cursor:
        cursor.execute(_STORE_SQL, params, binary=True)
        return cursor.fetchall()  # (delivery id, endpoint id, message index) tuples, as CreatedDelivery


# An attempt row: its columns in the order `record_outcomes` takes them, with their PostgreSQL types.
_ATTEMPT_TYPES = {
    "organization_id": "bigint",
    "delivery_id": "bigint",
    "number": "smallint",
    "trigger": "text",
    "status": "text",
    "status_code": "smallint",
    "response_body": "text",
    "duration_ms": "integer",
    "error": "text",
    "created_at": "timestamptz",
}
ATTEMPT_COLUMNS = tuple(_ATTEMPT_TYPES)

_OUTCOMES_SQL = f"""
WITH attempts AS (
    INSERT INTO webhooks_deliveryattempt ({", ".join(ATTEMPT_COLUMNS)})
    SELECT * FROM unnest({", ".join(f"%(a_{name})b::{type_}[]" for name, type_ in _ATTEMPT_TYPES.items())})
),
succeeded AS (
    UPDATE webhooks_delivery AS d
    SET status = 'succeeded', attempt_count = u.number, last_status_code = u.code, last_error = '',
        delivered_at = %(now)s, next_attempt_at = NULL, claimed_until = NULL, claim_token = '', updated_at = %(now)s
    FROM unnest(%(s_id)b::bigint[], %(s_token)b::text[], %(s_number)b::smallint[], %(s_code)b::smallint[])
        AS u(id, token, number, code)
    -- Under this claim, or not claimed by anyone (the endpoint was disabled meanwhile): a success
    -- that happened is never thrown away, so a lease that lapsed mid-attempt costs no second copy
    -- once this is recorded. A delivery another worker claimed since stays that worker's.
    WHERE d.id = u.id AND (d.claim_token = u.token OR (d.claim_token = '' AND d.status IN ('pending', 'retrying')))
    RETURNING d.endpoint_id
)
-- A success ends an endpoint's failing streak (the rare update; the check is the common case).
UPDATE webhooks_endpoint SET failing_since = NULL, consecutive_failed_messages = 0
WHERE id IN (SELECT endpoint_id FROM succeeded) AND (failing_since IS NOT NULL OR consecutive_failed_messages > 0)
"""


def record_outcomes(attempts: list[tuple], successes: list[tuple[int, str, int, int | None]], *, now) -> None:
    """In one statement: an attempt row per tuple of `attempts` (in ATTEMPT_COLUMNS order); for
    each (delivery id, claim token, attempt number, status code) of `successes`, the delivery
    still held under that claim, or by no claim, becomes succeeded (one whose lease another worker
    took over is left to that worker) and its endpoint's failing streak ends. Several statements per batch cost
    the recorder more than the rows themselves when batches are small."""
    params = {
        f"a_{name}": column
        for name, column in zip(ATTEMPT_COLUMNS, _columns(attempts, len(ATTEMPT_COLUMNS)), strict=True)
    }
    # In id order: concurrent recorders lock the delivery rows in one order.
    params.update(zip(("s_id", "s_token", "s_number", "s_code"), _columns(sorted(successes), 4), strict=True))
    params["now"] = now
    with binding_cursor() as cursor:
        cursor.execute(_OUTCOMES_SQL, params)


def _columns(rows: list[tuple], width: int) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]
