"""Shared helpers of the delivery tests: a stored message and delivery, its job, one attempt."""

from __future__ import annotations

import asyncio
import uuid

from django.utils import timezone

from webhooks import actions, conf, dispatcher
from webhooks.delivery import Job, attempt_async, make_async_client
from webhooks.models import Delivery, Message


def job_for(endpoint, message, delivery, **extra) -> Job:
    d = Delivery.objects.select_related("endpoint", "message").get(pk=delivery.pk)
    d.claim_token = extra.pop("claim_token", "t")
    Delivery.objects.filter(pk=d.pk).update(claim_token=d.claim_token, claimed_until=timezone.now())
    job = dispatcher.job_for(d)
    for key, value in extra.items():
        setattr(job, key, value)
    return job


def delivery_for(org, endpoint, event_type="shipment.synced", data=None, **delivery_fields):
    """A stored message of the event and its delivery to the endpoint (due now unless told otherwise)."""
    event_id = uuid.uuid4()
    now = timezone.now()
    message = Message.objects.create(
        organization=org,
        event_id=event_id,
        webhook_id=actions.webhook_id_for(event_id),
        event_type=event_type,
        occurred_at=now,
        body=actions.message_body(event_type, now, {"key": "x"} if data is None else data),
    )
    fields = {"next_attempt_at": now, **delivery_fields}
    return message, Delivery.objects.create(organization=org, message=message, endpoint=endpoint, **fields)


def run_attempt(job, limit: int | None = None, timeout: float | None = None):
    """One attempt on the path production uses: `attempt_async` on the asyncio client. `limit` and
    `timeout` default to the settings, as the dispatcher reads them."""
    limit = conf.get("WEBHOOK_RESPONSE_BODY_LIMIT") if limit is None else limit
    timeout = conf.get("WEBHOOK_TIMEOUT_SECONDS") if timeout is None else timeout

    async def go():
        client = make_async_client(4)
        try:
            return await attempt_async(job, client, limit, timeout)
        finally:
            await client.close()

    return asyncio.run(go())
