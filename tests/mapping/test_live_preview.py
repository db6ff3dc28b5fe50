"""`POST /api/v1/mappings/{id}/preview` with `live: true`: sample records are pulled from the mapping's
NetSuite connection (the sandbox over real HTTP) and mapped, each with its output or its errors."""

import pytest
import requests

from connectors.mapping.actions import ensure_default_mapping
from connectors.models import Connection, ConnectionStatus
from connectors.netsuite.connector import NetSuiteConnector
from connectors.sandbox import SandboxServer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_backoff(settings):
    settings.HTTP_BACKOFF_BASE = 0.01
    settings.HTTP_BACKOFF_MAX = 0.05


@pytest.fixture
def netsuite():
    with SandboxServer(NetSuiteConnector.sandbox_app(seed=42, records=8)) as server:
        yield server


def sandbox_connection(org, url, **overrides) -> Connection:
    connection = Connection(
        organization=org, connector_type="netsuite", name="NetSuite sandbox", status=ConnectionStatus.VERIFIED
    )
    connection.set_credentials({**NetSuiteConnector.sandbox_credentials(url), **overrides})
    connection.save()
    return connection


def first_listed(server) -> list[str]:
    """Fulfillment ids in the reader's order: (lastModifiedDate, id)."""
    return [str(id_) for _, id_ in server.app.data.ordered("itemFulfillment")]


def test_live_preview_maps_records_pulled_from_the_connection(client_for, developer_a, org_a, netsuite):
    mapping = ensure_default_mapping(sandbox_connection(org_a, netsuite.url), "shipments", "read")
    broken = first_listed(netsuite)[1]
    # One fulfillment without a ship-to city (required by the Shipment standard): a per-record error.
    response = requests.patch(
        f"{netsuite.url}/_sandbox/records/itemFulfillment/{broken}",
        json={"shippingAddress": {"city": None}, "lastModifiedDate": "2025-01-01T00:00:00Z"},
        timeout=5,
    )
    response.raise_for_status()
    expected = first_listed(netsuite)[:4]
    assert expected[0] == broken

    preview = client_for(developer_a).post(
        f"/api/v1/mappings/{mapping.pk}/preview", {"live": True, "limit": 4}, format="json"
    )

    assert preview.status_code == 200, preview.json()
    result = preview.json()
    assert result["version"] == 1 and result["standard"] == "shipment"
    assert result["summary"] == {"records": 4, "ok": 3, "failed": 1}
    assert [r["input"]["id"] for r in result["results"]] == expected
    failed = result["results"][0]
    assert failed["output"] is None and any(e["rule"] == "ship_to.city" for e in failed["errors"])
    for mapped in result["results"][1:]:
        record = mapped["input"]
        assert mapped["errors"] == []
        assert mapped["output"]["shipment_number"] == record["tranId"]
        assert mapped["output"]["ship_to"]["city"] == record["shippingAddress"]["city"]
        assert mapped["output"]["source_ids"]["netsuite"] == record["id"]
        assert len(mapped["output"]["lines"]) == len(record["item"]["items"])


def test_live_preview_says_why_the_connection_could_not_be_read(client_for, developer_a, org_a, netsuite):
    connection = sandbox_connection(org_a, netsuite.url, token_secret="wrong")
    connection.status = ConnectionStatus.FAILED
    connection.save(update_fields=["status"])
    mapping = ensure_default_mapping(connection, "shipments", "read")

    preview = client_for(developer_a).post(f"/api/v1/mappings/{mapping.pk}/preview", {"live": True}, format="json")

    assert preview.status_code == 400, preview.json()
    message = preview.json()["error"]["fields"]["live"][0]
    assert message.startswith("Could not read sample records: NetSuite rejected the login")
    assert "wrong" not in str(preview.json())  # no secret in the answer


def test_live_preview_of_another_organizations_mapping_is_404(client_for, owner_b, org_a, netsuite):
    mapping = ensure_default_mapping(sandbox_connection(org_a, netsuite.url), "shipments", "read")
    preview = client_for(owner_b).post(f"/api/v1/mappings/{mapping.pk}/preview", {"live": True}, format="json")
    assert preview.status_code == 404


def test_live_preview_of_a_writer_mapping_asks_for_standard_records(client_for, developer_a, org_a, netsuite):
    from connectors.mapping.models import Mapping

    connection = sandbox_connection(org_a, netsuite.url)
    writer = Mapping.objects.create(
        organization=org_a, connection=connection, stream="orders", direction="write", standard="shipment", name="w"
    )
    preview = client_for(developer_a).post(f"/api/v1/mappings/{writer.pk}/preview", {"live": True}, format="json")
    assert preview.status_code == 400
    assert "reader mappings only" in preview.json()["error"]["fields"]["live"][0]
