"""An endpoint's delivery health: attempts per hour, succeeded and failed, on the page and in the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from webhooks import actions
from webhooks.health import endpoint_health
from webhooks.models import Delivery, DeliveryAttempt, Message

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)


def _attempts(org, endpoint, *stamps_and_statuses, duration_ms=20):
    event_id = uuid.uuid4()
    message = Message.objects.create(
        organization=org,
        event_id=event_id,
        webhook_id=actions.webhook_id_for(event_id),
        event_type="shipment.synced",
        occurred_at=NOW,
        body={},
    )
    delivery = Delivery.objects.create(organization=org, message=message, endpoint=endpoint)
    for number, (stamp, status) in enumerate(stamps_and_statuses, start=1):
        DeliveryAttempt.objects.create(
            organization=org,
            delivery=delivery,
            number=number,
            status=status,
            status_code=200 if status == "succeeded" else 500,
            duration_ms=duration_ms,
            created_at=stamp,
        )


@pytest.fixture
def busy(org_a, org_b):
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/a")
    other, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/b")
    foreign, _ = actions.create_endpoint(org_b, url="http://127.0.0.1:9/c")
    _attempts(org_a, endpoint, (NOW - timedelta(minutes=10), "failed"), (NOW - timedelta(minutes=5), "succeeded"))
    _attempts(org_a, endpoint, (NOW - timedelta(hours=2, minutes=15), "succeeded"), duration_ms=80)
    _attempts(org_a, endpoint, (NOW - timedelta(hours=30), "succeeded"))  # outside the 24 h window
    _attempts(org_a, other, (NOW - timedelta(minutes=1), "failed"))
    _attempts(org_b, foreign, (NOW - timedelta(minutes=1), "failed"))
    return endpoint


def test_attempts_are_counted_per_hour_for_this_endpoint_only(busy):
    health = endpoint_health(busy, now=NOW)
    assert len(health.hours) == 24
    assert health.hours[-1].start == datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert health.hours[0].start == datetime(2026, 11, 26, 11, tzinfo=UTC)
    assert (health.hours[-1].succeeded, health.hours[-1].failed) == (1, 1)
    assert (health.hours[-3].succeeded, health.hours[-3].failed) == (1, 0)
    assert (health.attempts, health.succeeded, health.failed) == (3, 2, 1)
    assert health.success_rate == pytest.approx(2 / 3)
    assert health.average_duration_ms == 40  # (20 + 20 + 80) / 3
    assert endpoint_health(busy, now=NOW, hours=48).attempts == 4


def test_an_endpoint_without_attempts_has_an_empty_window(org_a):
    endpoint, _ = actions.create_endpoint(org_a, url="http://127.0.0.1:9/quiet")
    health = endpoint_health(endpoint, now=NOW)
    assert health.attempts == 0 and health.success_rate is None and health.average_duration_ms is None
    assert [hour.attempts for hour in health.hours] == [0] * 24


def test_the_api_reports_health_and_refuses_a_bad_window(busy, developer_a, owner_b, client_for, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    client = client_for(developer_a)
    body = client.get(f"/api/v1/webhook-endpoints/{busy.pk}/health/").json()
    assert (body["attempts"], body["succeeded"], body["failed"]) == (3, 2, 1)
    assert len(body["hours"]) == 24 and body["hours"][-1]["attempts"] == 2
    assert client.get(f"/api/v1/webhook-endpoints/{busy.pk}/health/?hours=48").json()["attempts"] == 4
    refused = client.get(f"/api/v1/webhook-endpoints/{busy.pk}/health/?hours=0")
    assert refused.status_code == 400 and "hours" in str(refused.json())
    assert client_for(owner_b).get(f"/api/v1/webhook-endpoints/{busy.pk}/health/").status_code == 404


def test_the_endpoint_page_shows_the_summary_and_a_bar_per_hour(busy, owner_a, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    client = Client()
    client.force_login(owner_a)
    page = client.get(f"/developers/webhooks/endpoints/{busy.pk}/").content.decode()
    assert "3 attempts: 2 succeeded, 1 failed (67 % succeeded), 40 ms on average." in page
    assert page.count('class="succeeded"') == 24 and page.count('class="failed"') == 24
    assert "1 succeeded, 1 failed</title>" in page
