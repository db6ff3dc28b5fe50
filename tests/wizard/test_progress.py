"""Progress is derived from rows: leaving and coming back resumes at the right step."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connectors.models import Connection, ConnectionStatus
from tests.wizard.helpers import verified_connection
from workflows.wizard import progress

pytestmark = pytest.mark.django_db


def test_nothing_yet_starts_at_the_connectors(org_a):
    state = progress.derive(org_a)
    assert state["next_url"].endswith("#connectors")
    assert [s.done for s in state["steps"]] == [False] * 5


def test_failed_connection_resumes_at_its_check(org_a):
    connection = Connection(organization=org_a, connector_type="netsuite", name="NS", status=ConnectionStatus.FAILED)
    connection.set_credentials({"account_id": "1"})
    connection.save()
    state = progress.derive(org_a)
    assert state["next_url"] == reverse("wizard-auth", args=[connection.pk])
    assert state["steps"][0].done and not state["steps"][1].done


def test_verified_connection_resumes_at_mapping_then_flows(org_a, netsuite_sandbox):
    from connectors.mapping.actions import ensure_default_mapping

    connection = verified_connection(org_a, "netsuite", netsuite_sandbox)
    assert progress.derive(org_a)["next_url"] == reverse("wizard-map", args=[connection.pk])
    ensure_default_mapping(connection, "shipments", "read")
    state = progress.derive(org_a)
    assert state["steps"][2].done
    assert state["next_url"] == reverse("wizard-flow-new")


def test_start_page_links_every_step(web_for, owner_a, netsuite_sandbox, org_a):
    connection = verified_connection(org_a, "netsuite", netsuite_sandbox)
    page = web_for(owner_a).get(reverse("wizard-start")).content.decode()
    for url in (
        reverse("wizard-auth", args=[connection.pk]),
        reverse("wizard-map", args=[connection.pk]),
        reverse("wizard-flow-new"),
    ):
        assert f'href="{url}' in page
    assert 'aria-label="Setup steps"' in page and "Continue where you left off" in page
