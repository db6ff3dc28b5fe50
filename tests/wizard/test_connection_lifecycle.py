"""A connection's lifecycle from the portal pages: the sandbox's keys offered, rename, delete with what
depends on it named, and a sandbox connection subscribing its hooks address."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connectors import sandboxes
from connectors.mapping.models import Mapping
from connectors.models import Connection
from connectors.registry import get_connector
from connectors.sandbox import SandboxServer
from ekyam.embedded import free_port
from ekyam.models import Role
from tests.wizard.helpers import form_data, verified_connection
from workflows import actions as workflow_actions
from workflows.models import Workflow

pytestmark = pytest.mark.django_db


def test_the_connect_form_offers_the_sandboxs_credentials_labelled_as_sandbox(web_for, owner_a):
    client = web_for(owner_a)
    page = client.get(reverse("wizard-connect", args=["netsuite"])).content.decode()
    assert 'id="use-sandbox-credentials"' in page and "Use the sandbox's credentials" in page
    offered = get_connector("netsuite").sandbox_credentials(sandboxes.sandbox_url("netsuite"))

    page = client.get(reverse("wizard-connect", args=["netsuite"]) + "?credentials=sandbox").content.decode()
    assert 'id="sandbox-credentials-note"' in page and "not a real account" in page
    assert 'value="NetSuite sandbox"' in page
    for name in ("account_id", "base_url", "consumer_key", "consumer_secret", "token_id", "token_secret"):
        assert f'value="{offered[name]}"' in page, name


def test_the_production_profile_offers_no_sandbox_credentials(web_for, owner_a, settings):
    settings.PRODUCTION = True
    page = web_for(owner_a).get(reverse("wizard-connect", args=["whiplash"]) + "?credentials=sandbox")
    text = page.content.decode()
    assert "use-sandbox-credentials" not in text and "sandbox-credentials-note" not in text
    assert get_connector("whiplash").sandbox_credentials("x")["client_secret"] not in text


def test_a_sandbox_connection_subscribes_its_hooks_address(web_for, owner_a, monkeypatch, settings):
    whiplash = get_connector("whiplash")
    port = free_port()
    monkeypatch.setattr(sandboxes, "SANDBOX_BASE_PORT", port - 1)  # whiplash is the second sandbox
    settings.BASE_URL = "http://127.0.0.1:8000"
    with SandboxServer(whiplash.sandbox_app(), port=port) as server:
        credentials = whiplash.sandbox_credentials(sandboxes.sandbox_url("whiplash"))
        response = web_for(owner_a).post(
            reverse("wizard-connect", args=["whiplash"]), form_data(credentials, "Whiplash sandbox")
        )
        assert response.status_code == 302
        connection = Connection.objects.get(name="Whiplash sandbox")
        assert server.app.subscriptions == [f"http://127.0.0.1:8000/hooks/whiplash/{connection.webhook_token}/"]


def test_rename_from_the_connection_page(web_for, owner_a, org_a, netsuite_sandbox, whiplash_sandbox):
    netsuite = verified_connection(org_a, "netsuite", netsuite_sandbox, "NetSuite")
    verified_connection(org_a, "whiplash", whiplash_sandbox, "Whiplash")
    client = web_for(owner_a)
    page = client.get(reverse("connection-detail", args=[netsuite.pk])).content.decode()
    assert 'id="rename-button"' in page and 'id="delete-connection"' in page and 'id="edit-credentials"' in page

    response = client.post(reverse("connection-rename", args=[netsuite.pk]), {"name": "Whiplash"})
    assert response.status_code == 400
    assert 'id="id_name_errors"' in response.content.decode() and "already called" in response.content.decode()
    netsuite.refresh_from_db()
    assert netsuite.name == "NetSuite"

    response = client.post(reverse("connection-rename", args=[netsuite.pk]), {"name": "NetSuite production"})
    assert response.status_code == 302
    netsuite.refresh_from_db()
    assert netsuite.name == "NetSuite production"


def test_viewers_and_other_organizations_cannot_rename_or_delete(
    web_for, org_a, owner_b, make_member, netsuite_sandbox
):
    netsuite = verified_connection(org_a, "netsuite", netsuite_sandbox, "NetSuite")
    viewer = make_member(org_a, "vera", Role.VIEWER)
    client = web_for(viewer)
    assert client.post(reverse("connection-rename", args=[netsuite.pk]), {"name": "x"}).status_code == 403
    assert client.post(reverse("connection-delete", args=[netsuite.pk])).status_code == 403
    other = web_for(owner_b)
    assert other.post(reverse("connection-rename", args=[netsuite.pk]), {"name": "x"}).status_code == 404
    assert other.post(reverse("connection-delete", args=[netsuite.pk])).status_code == 404
    assert Connection.objects.get(pk=netsuite.pk).name == "NetSuite"


def test_delete_names_the_workflows_that_use_it_and_refuses_then_deletes_with_its_mappings(
    web_for, owner_a, org_a, netsuite_sandbox, whiplash_sandbox
):
    netsuite = verified_connection(org_a, "netsuite", netsuite_sandbox, "NetSuite")
    whiplash = verified_connection(org_a, "whiplash", whiplash_sandbox, "Whiplash")
    workflow = workflow_actions.create_from_blueprint(
        org_a, "shipment-sync", source_connection=netsuite, destination_connection=whiplash, name="Ship it"
    )
    mappings = list(Mapping.objects.filter(connection=netsuite).values_list("name", flat=True))
    assert mappings, "the shipment sync attached the NetSuite reader mapping"
    client = web_for(owner_a)

    detail = client.get(reverse("connection-detail", args=[netsuite.pk])).content.decode()
    assert "Workflow" in detail and "Ship it" in detail and all(name in detail for name in mappings)
    page = client.get(reverse("connection-delete", args=[netsuite.pk])).content.decode()
    assert 'id="blocking-workflows"' in page and "Ship it" in page and 'id="confirm-delete"' not in page
    response = client.post(reverse("connection-delete", args=[netsuite.pk]))
    assert response.status_code == 409 and "used by the workflow Ship it" in response.content.decode()
    assert Connection.objects.filter(pk=netsuite.pk).exists()

    workflow.delete()
    page = client.get(reverse("connection-delete", args=[netsuite.pk])).content.decode()
    assert 'id="confirm-delete"' in page and all(name in page for name in mappings)
    response = client.post(reverse("connection-delete", args=[netsuite.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("connection-list")
    assert not Connection.objects.filter(pk=netsuite.pk).exists()
    assert not Mapping.objects.filter(name__in=mappings, organization=org_a, connection_id=netsuite.pk).exists()
    assert Workflow.objects.count() == 0 and Connection.objects.filter(pk=whiplash.pk).exists()


def test_a_flow_from_a_sandbox_source_is_proposed_every_minute(web_for, owner_a, org_a, monkeypatch):
    from connectors import actions as connector_actions

    netsuite = get_connector("netsuite")
    connector_actions.create_connection(
        org_a,
        connector_type="netsuite",
        name="NetSuite sandbox",
        credentials=netsuite.sandbox_credentials(sandboxes.sandbox_url("netsuite")),
    )
    page = web_for(owner_a).get(reverse("wizard-flow-new") + "?template=shipment-sync").content.decode()
    assert 'name="interval_minutes" value="1"' in page
    monkeypatch.setattr(sandboxes, "SANDBOX_BASE_PORT", sandboxes.SANDBOX_BASE_PORT + 10)  # not the sandbox now
    page = web_for(owner_a).get(reverse("wizard-flow-new") + "?template=shipment-sync").content.decode()
    assert 'name="interval_minutes" value="15"' in page
