"""Claims under concurrency, on PostgreSQL: two transactions never claim the same delivery, a
claimer never waits for another one's rows (so claimers cannot deadlock), and the claim re-checks
the due conditions on the row itself."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from bench.common import wait_for
from ekyam import actions as org_actions
from webhooks import actions, dispatcher
from webhooks.models import Delivery, Message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks are PostgreSQL's"),
]


def _deliveries(endpoint, count: int) -> list[int]:
    now = timezone.now()
    messages = []
    for _ in range(count):
        event_id = uuid.uuid4()
        messages.append(
            Message(
                organization_id=endpoint.organization_id,
                event_id=event_id,
                webhook_id=actions.webhook_id_for(event_id),
                event_type="shipment.synced",
                occurred_at=now,
                body=actions.message_body("shipment.synced", now, {"n": 1}),
            )
        )
    Message.objects.bulk_create(messages)
    created = Delivery.objects.bulk_create(
        [
            Delivery(organization_id=endpoint.organization_id, message=m, endpoint=endpoint, next_attempt_at=now)
            for m in Message.objects.filter(organization_id=endpoint.organization_id)
        ]
    )
    return [d.pk for d in created]


def _in_thread(target):
    """Run `target` in a thread with its own database connection (its own transaction)."""
    box: dict = {}

    def run():
        try:
            box["value"] = target()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            box["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, box


def test_a_second_transaction_skips_rows_the_first_is_claiming_and_never_overwrites_its_claim():
    org = org_actions.create_organization("Claims")
    endpoint, _ = actions.create_endpoint(org, url="http://127.0.0.1:9/")
    (delivery_id,) = _deliveries(endpoint, 1)
    first_claimed = threading.Event()
    release_first = threading.Event()

    def first():
        with transaction.atomic():  # the claim's locks are held until this commits
            claimed = dispatcher.claim_due()
            first_claimed.set()
            release_first.wait(30)
        return claimed

    first_thread, first_box = _in_thread(first)
    assert first_claimed.wait(30)
    # While the first transaction is open, the second one neither waits nor claims the row...
    second_thread, second_box = _in_thread(dispatcher.claim_due)
    second_thread.join(30)
    finished_while_first_open = not second_thread.is_alive()
    release_first.set()
    first_thread.join(30)
    second_thread.join(30)
    assert "error" not in first_box and "error" not in second_box, (first_box, second_box)
    assert finished_while_first_open, "the second claimer waited for the first one's row lock"
    assert second_box["value"] == []
    (claimed,) = first_box["value"]
    # ...and after the first commits, the claim on the row is still the first one's.
    assert Delivery.objects.get(pk=delivery_id).claim_token == claimed.claim_token
    assert dispatcher.claim_due() == []


def test_concurrent_claimers_claim_every_due_delivery_exactly_once_without_deadlocks():
    org = org_actions.create_organization("Claims storm")
    endpoints = [actions.create_endpoint(org, url=f"http://127.0.0.1:9/{n}")[0] for n in range(3)]
    ids = _deliveries(endpoints[0], 400)
    Delivery.objects.filter(pk__in=ids[200:300]).update(endpoint=endpoints[1])
    Delivery.objects.filter(pk__in=ids[300:]).update(endpoint=endpoints[2])
    start = threading.Barrier(4)

    def claimer():
        start.wait(30)
        mine = []
        while True:
            claimed = dispatcher.claim_due(limit=7)
            if not claimed:
                return mine
            mine += [d.pk for d in claimed]

    threads = [_in_thread(claimer) for _ in range(4)]
    for thread, _ in threads:
        thread.join(120)
    errors = [box["error"] for _, box in threads if "error" in box]
    assert not errors, errors  # e.g. "deadlock detected"
    claims = [pk for _, box in threads for pk in box["value"]]
    assert len(claims) == len(set(claims)), "a delivery was claimed twice"
    assert sorted(claims) == sorted(ids)
    assert Delivery.objects.filter(claim_token="").count() == 0


def _waiting_on_a_lock() -> int:
    """Backends of this database waiting for a row lock (another transaction's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_enabling_an_endpoint_does_not_deadlock_with_a_process_recording_an_outcome():
    # The drill's defect: a recorder locks a delivery and then its endpoint (a dead letter counts on
    # the endpoint row); enabling locked the endpoint and then its held deliveries: "deadlock detected".
    org = org_actions.create_organization("Enable under load")
    endpoint, _ = actions.create_endpoint(org, url="http://127.0.0.1:9/")
    ids = _deliveries(endpoint, 3)
    Delivery.objects.filter(pk__in=ids).update(status="retrying", attempt_count=1)
    actions.disable_endpoint(endpoint, "test")
    delivery_locked, go_on = threading.Event(), threading.Event()

    def recorder():
        with transaction.atomic():
            Delivery.objects.filter(pk=ids[1]).update(last_error="HTTP 500")  # the delivery's lock...
            delivery_locked.set()
            go_on.wait(30)
            # ...then its endpoint's, as `actions.dead_letter` takes them.
            actions.Endpoint.objects.filter(pk=endpoint.pk).update(consecutive_failed_messages=1)

    recorder_thread, recorder_box = _in_thread(recorder)
    assert delivery_locked.wait(30)
    enable_thread, enable_box = _in_thread(lambda: actions.enable_endpoint(endpoint))
    # Enabling now waits for the delivery the recorder holds.
    assert wait_for(lambda: _waiting_on_a_lock() >= 1, 30, what="enabling to wait for the delivery's lock")
    go_on.set()
    recorder_thread.join(30)
    enable_thread.join(30)
    assert "error" not in recorder_box and "error" not in enable_box, (recorder_box, enable_box)
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert set(Delivery.objects.filter(pk__in=ids).values_list("replay_base", flat=True)) == {1}  # restarted
