"""One row of every tenant model for an organization, for the isolation sweeps (API references, admin).

`populate(org)` returns {model: instance}. A sweep that meets a model missing here fails and names it,
so a new tenant model gets a row (and is swept) as soon as it exists.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.apps import apps
from django.utils import timezone

from connectors.mapping.models import LookupTable, Mapping, MappingVersion, SuggestionFeedback
from connectors.models import Connection, InboundWebhook
from ekyam.alerts.models import Alert, AlertNotification, AlertSettings
from ekyam.events.models import OutboxEvent
from ekyam.models import ApiKey, Invitation, Membership, Organization
from webhooks.models import DeadLetter, Delivery, DeliveryAttempt, Endpoint, Message
from workflows.models import (
    Lineage,
    RecordError,
    RecordOutcome,
    Run,
    StreamCursor,
    Workflow,
    WorkflowEdge,
    WorkflowNode,
)
from workflows.reconcile.models import Plan, PlanItem, ReconcileSettings, Reconciliation, ReconciliationItem


def populate(org: Organization) -> dict:
    tag = org.slug
    rows: dict = {}
    connection = Connection(organization=org, connector_type="whiplash", name=f"{tag} whiplash")
    connection.set_credentials({"base_url": "http://127.0.0.1:9/", "client_id": "x", "client_secret": "y"})
    connection.save()
    rows[Connection] = connection
    mapping = Mapping.objects.create(
        organization=org, connection=connection, stream="orders", direction="read", standard="order", name=f"{tag} m"
    )
    rows[Mapping] = mapping
    rows[MappingVersion] = MappingVersion.objects.create(mapping=mapping, number=1, rules=[])
    rows[LookupTable] = LookupTable.objects.create(organization=org, name=f"{tag}-table", values={"A": "a"})
    rows[SuggestionFeedback] = SuggestionFeedback.objects.create(
        organization=org, standard="order", target="id", source="id", accepted=True, mapping=mapping
    )
    workflow = Workflow.objects.create(organization=org, name=f"{tag} flow")
    rows[Workflow] = workflow
    source = WorkflowNode.objects.create(
        workflow=workflow, key="source", kind="source", label="s", connection=connection, stream="orders"
    )
    sync = WorkflowNode.objects.create(
        workflow=workflow, key="sync", kind="sync", label="x", read_mapping_id=mapping.pk, standard="order"
    )
    rows[WorkflowNode] = source
    rows[WorkflowEdge] = WorkflowEdge.objects.create(workflow=workflow, source=source, target=sync)
    run = Run.objects.create(organization=org, workflow=workflow, trigger="manual")
    rows[Run] = run
    rows[RecordError] = RecordError.objects.create(
        organization=org, workflow=workflow, run=run, trace_key=f"{tag}:1", error_class="validation",
        stage="write", message="bad", source_payload={"id": 1},
    )  # fmt: skip
    rows[Lineage] = Lineage.objects.create(
        organization=org, workflow=workflow, run=run, source_key=f"{tag}:1", source_system="whiplash",
        source_id="1", destination_system="shopify", content_hash="0" * 64,
    )  # fmt: skip
    rows[RecordOutcome] = RecordOutcome.objects.create(
        organization=org, run=run, source_key=f"{tag}:1", outcome="unchanged", reason="already there"
    )
    rows[StreamCursor] = StreamCursor.objects.create(organization=org, workflow=workflow, stream="orders", cursor="1")
    rows[Reconciliation] = report = Reconciliation.objects.create(
        organization=org, workflow=workflow, status="succeeded"
    )
    ReconciliationItem.objects.create(report=report, status="drifted", key=f"{tag}:1", payload={"available": 1})
    rows[Plan] = plan = Plan.objects.create(organization=org, workflow=workflow, status="succeeded")
    PlanItem.objects.create(plan=plan, action="create", key=f"{tag}:1", payload={"id": 1})
    rows[ReconcileSettings] = ReconcileSettings.objects.create(organization=org, workflow=workflow)
    endpoint = Endpoint.objects.create(organization=org, url="https://hooks.example.com/ekyam")
    rows[Endpoint] = endpoint
    message = Message.objects.create(
        organization=org, event_id=uuid.uuid4(), webhook_id=f"msg_{uuid.uuid4().hex}", event_type="order.created",
        body={"type": "order.created"}, occurred_at=timezone.now(),
    )  # fmt: skip
    rows[Message] = message
    delivery = Delivery.objects.create(organization=org, message=message, endpoint=endpoint, status="dead")
    rows[Delivery] = delivery
    rows[DeliveryAttempt] = DeliveryAttempt.objects.create(
        organization=org, delivery=delivery, number=1, status="failed", status_code=500
    )
    rows[DeadLetter] = DeadLetter.objects.create(
        organization=org, delivery=delivery, endpoint=endpoint, event_type="order.created", payload={}, reason="500"
    )
    rows[Alert] = Alert.objects.create(organization=org, kind=Alert.Kind.choices[0][0], title="t", reason="r")
    rows[AlertSettings] = AlertSettings.objects.create(organization=org)
    rows[AlertNotification] = AlertNotification.objects.create(
        organization=org, channel=AlertNotification.Channel.choices[0][0],
        status=AlertNotification.Status.choices[0][0], alert_count=1,
    )  # fmt: skip
    rows[OutboxEvent] = OutboxEvent.objects.create(organization=org, type="order.created", key="k", payload={})
    rows[InboundWebhook] = InboundWebhook.objects.create(
        organization=org, connection=connection, vendor_event_id=f"{tag}-1", topic="order.updated", payload={}
    )
    rows[Membership] = Membership.objects.filter(organization=org).first()
    rows[ApiKey] = ApiKey.objects.create(organization=org, name=f"{tag} key", prefix=f"eky_{uuid.uuid4().hex[:12]}")
    rows[Invitation] = Invitation.objects.create(
        organization=org, email=f"guest@{tag}.example.com", token_hash=uuid.uuid4().hex,
        expires_at=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    return rows


def tenant_models() -> list:
    """Every model that belongs to an organization (an `organization` column or an `organization_path`)."""
    found = []
    for model in apps.get_models():
        if model is Organization:
            continue
        names = {f.name for f in model._meta.get_fields()}
        if "organization" in names or hasattr(model, "organization_path"):
            found.append(model)
    return found
