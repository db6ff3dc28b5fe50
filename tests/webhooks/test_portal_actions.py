"""The developer portal in a session: "Resend now" on a message and "Retry now" on a failing delivery make real
attempts against a receiver (claimed by the delivery scheduler's own query), the per-endpoint retry schedule
in words, formatted JSON bodies, the last result said once, and the message list's live notices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.servers import ScriptedServer
from tests.webhooks.deliveries import delivery_for, run_attempt
from webhooks import actions, dispatcher, live, outcomes
from webhooks.models import DeadLetter, Delivery, DeliveryAttempt
from webhooks.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db


def deliver_due() -> list[int]:
    """What a delivery process does once: claim what is due, attempt it over HTTP, record the outcome."""
    done = []
    for claimed in dispatcher.claim_due():
        job = dispatcher.job_for(claimed)
        outcomes.record([(job, run_attempt(job))])
        done.append(claimed.pk)
    return done


@pytest.fixture
def receiver():
    with ScriptedServer() as server:
        yield server


def test_resend_now_makes_a_new_attempt_of_a_delivered_message(org_a, receiver):
    endpoint, _ = actions.create_endpoint(org_a, url=receiver.url)
    message, delivery = delivery_for(org_a, endpoint)
    assert deliver_due() == [delivery.pk] and len(receiver.requests) == 1
    assert deliver_due() == []  # delivered: nothing is due any more

    queued = actions.resend_message(message)

    assert [d.pk for d in queued] == [delivery.pk]
    assert deliver_due() == [delivery.pk]
    assert len(receiver.requests) == 2 and receiver.requests[1]["body"] == receiver.requests[0]["body"]
    attempts = list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [(a.number, a.trigger, a.status) for a in attempts] == [
        (1, "scheduled", "succeeded"),
        (2, "replay", "succeeded"),
    ]
    assert Delivery.objects.get(pk=delivery.pk).status == "succeeded"


def test_retry_now_attempts_a_failing_delivery_before_its_scheduled_time(org_a, receiver):
    endpoint, _ = actions.create_endpoint(org_a, url=receiver.url, retry_schedule=[0, 3600, 7200])
    message, delivery = delivery_for(org_a, endpoint)
    receiver.script.append((500, {}, b"down", 0))
    deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and delivery.next_attempt_at > timezone.now() + timedelta(minutes=50)
    assert deliver_due() == []  # not due for an hour

    actions.retry_delivery_now(delivery)

    assert deliver_due() == [delivery.pk]
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and len(receiver.requests) == 2
    assert list(DeliveryAttempt.objects.filter(delivery=delivery).values_list("number", "status_code")) == [
        (1, 500),
        (2, 200),
    ]


def test_retry_now_replays_a_dead_letter_and_marks_it_replayed(org_a, receiver):
    endpoint, _ = actions.create_endpoint(org_a, url=receiver.url, retry_schedule=[0])
    message, delivery = delivery_for(org_a, endpoint)
    receiver.script.append((503, {}, b"", 0))
    deliver_due()
    dead = DeadLetter.objects.get(delivery=delivery)
    assert dead.status == "dead"

    actions.retry_delivery_now(delivery)
    assert DeadLetter.objects.get(pk=dead.pk).status == "replaying"
    deliver_due()

    assert DeadLetter.objects.get(pk=dead.pk).status == "replayed"
    assert Delivery.objects.get(pk=delivery.pk).status == "succeeded" and len(receiver.requests) == 2


def test_refusals_say_why(org_a, receiver):
    endpoint, _ = actions.create_endpoint(org_a, url=receiver.url)
    message, delivery = delivery_for(org_a, endpoint)
    deliver_due()
    with pytest.raises(ValidationError, match="already succeeded"):
        actions.retry_delivery_now(delivery)
    actions.disable_endpoint(endpoint, "Paused by a test.")
    with pytest.raises(ValidationError, match="is disabled: enable it first"):
        actions.resend_message(message)
    assert deliver_due() == [] and len(receiver.requests) == 1


def test_api_resend_and_retry(org_a, org_b, developer_a, viewer_a, owner_b, client_for, receiver):
    endpoint, _ = actions.create_endpoint(org_a, url=receiver.url, retry_schedule=[0, 3600])
    message, delivery = delivery_for(org_a, endpoint)
    receiver.script.append((500, {}, b"", 0))
    deliver_due()
    client = client_for(developer_a)

    retried = client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/retry/")
    assert retried.status_code == 202, retried.content
    assert deliver_due() == [delivery.pk]
    again = client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/retry/")
    assert again.status_code == 400 and "already succeeded" in again.content.decode()

    resent = client.post(f"/api/v1/webhook-messages/{message.pk}/resend/")
    assert resent.status_code == 202 and [d["id"] for d in resent.json()] == [delivery.pk]
    assert deliver_due() == [delivery.pk] and len(receiver.requests) == 3

    assert client_for(viewer_a).post(f"/api/v1/webhook-messages/{message.pk}/resend/").status_code == 403
    outsider = client_for(owner_b)
    assert outsider.post(f"/api/v1/webhook-messages/{message.pk}/resend/").status_code == 404
    assert outsider.post(f"/api/v1/webhook-deliveries/{delivery.pk}/retry/").status_code == 404


def test_portal_pages_resend_retry_json_bodies_and_last_result(org_a, owner_a, receiver):
    endpoint, _ = actions.create_endpoint(org_a, url=receiver.url, retry_schedule=[0, 3600])
    message, delivery = delivery_for(org_a, endpoint, data={"order": {"id": 7, "lines": [1, 2]}})
    receiver.script.append((500, {}, b"", 0))
    deliver_due()
    client = Client()
    client.force_login(owner_a)

    page = client.get(f"/developers/webhooks/messages/{message.pk}/").content.decode()
    assert "&quot;order&quot;: {\n" in page and "{&#x27;" not in page  # JSON, indented; not a Python dict
    assert "Resend now" in page and "Retry now" in page

    endpoint_page = client.get(f"/developers/webhooks/endpoints/{endpoint.pk}/").content.decode()
    assert '<td class="last-result">HTTP 500</td>' in endpoint_page and "500 HTTP 500" not in endpoint_page

    response = client.post(
        f"/developers/webhooks/deliveries/{delivery.pk}/retry/",
        {"next": f"/developers/webhooks/endpoints/{endpoint.pk}/"},
    )
    assert response.status_code == 302 and response["Location"] == f"/developers/webhooks/endpoints/{endpoint.pk}/"
    assert deliver_due() == [delivery.pk]
    response = client.post(f"/developers/webhooks/messages/{message.pk}/resend/", follow=True)
    assert "Resending now to" in response.content.decode()
    assert deliver_due() == [delivery.pk] and len(receiver.requests) == 3
    evil = client.post(f"/developers/webhooks/deliveries/{delivery.pk}/retry/", {"next": "https://evil.example/"})
    assert evil["Location"] == f"/developers/webhooks/messages/{message.pk}/"


def test_the_retry_schedule_is_said_in_words_and_a_quick_one_is_one_click(org_a, owner_a):
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/hook")
    client = Client()
    client.force_login(owner_a)
    page = client.get(f"/developers/webhooks/endpoints/{endpoint.pk}/").content.decode()
    assert "The default schedule: 4 attempts (at once, after 1 s, after 2 s, after 3 s)" in page

    client.post(f"/developers/webhooks/endpoints/{endpoint.pk}/quick-retries/")

    endpoint.refresh_from_db()
    assert endpoint.retry_schedule == [0, 10, 60]
    page = client.get(f"/developers/webhooks/endpoints/{endpoint.pk}/").content.decode()
    assert (
        "This endpoint's own schedule: 3 attempts (at once, after 10 s, after 1 min); a message that keeps "
        "failing goes to the dead-letter queue about 1 min 10 s after it was first due."
    ) in page
    client.post(f"/developers/webhooks/endpoints/{endpoint.pk}/default-retries/")
    endpoint.refresh_from_db()
    assert endpoint.retry_schedule == []


def test_standards_page_is_in_the_navigation(owner_a):
    client = Client()
    client.force_login(owner_a)
    assert '<a href="/standards/"' in client.get("/developers/webhooks/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_message_list_hears_when_messages_change(org_a, org_b, owner_a, owner_b, receiver, monkeypatch):
    monkeypatch.setattr(live, "_last_sent", {})
    endpoint, _ = actions.create_endpoint(org_a, url=receiver.url)
    application = URLRouter(websocket_urlpatterns)

    def communicator(user):
        socket = WebsocketCommunicator(application, "/ws/developers/messages/")
        socket.scope["user"], socket.scope["session"] = user, {}
        return socket

    async def scenario():
        from channels.db import database_sync_to_async

        mine, theirs = communicator(owner_a), communicator(owner_b)
        assert (await mine.connect())[0] and (await theirs.connect())[0]
        await database_sync_to_async(actions.send_test_event)(endpoint)
        assert await mine.receive_json_from(timeout=5) == {"type": "changed"}
        monkeypatch.setattr(live, "_last_sent", {})  # the next notice is not held back by the throttle
        await database_sync_to_async(deliver_due)()
        assert await mine.receive_json_from(timeout=5) == {"type": "changed"}
        assert await theirs.receive_nothing(timeout=0.5)  # another organization hears nothing
        await mine.disconnect()
        await theirs.disconnect()

    async_to_sync(scenario)()
    rows = Client()
    rows.force_login(owner_a)
    fragment = rows.get("/developers/webhooks/messages/?rows=1").content.decode()
    assert "webhook.test" in fragment and "succeeded" in fragment and "<html" not in fragment


def test_list_filters_in_the_query_do_not_reach_the_actions(org_a, developer_a, client_for, receiver):
    """Found by the API fuzz run: a `since` the database cannot hold made resend answer 500."""
    endpoint, _ = actions.create_endpoint(org_a, url=receiver.url)
    message, delivery = delivery_for(org_a, endpoint)
    deliver_due()
    odd = "?since=4833-05-04T10%3A23%3A03.45201%2B23%3A09&page_size=-7"
    response = client_for(developer_a).post(f"/api/v1/webhook-messages/{message.pk}/resend/{odd}")
    assert response.status_code == 202, response.content
