import shutil

import pytest

from connectors.mapping import actions, defaults
from connectors.mapping.engine import MappingInvalid
from connectors.mapping.models import LookupTable, Mapping

from .helpers import FIXTURES, fixture

pytestmark = pytest.mark.django_db
MAPPING = fixture("shipments.read.json")
RECORD = fixture("netsuite_fulfillment.json")


def create_body(connection, rules=None):
    return {
        "connection": connection.pk,
        "stream": "shipments",
        "direction": "read",
        "standard": "shipment",
        "rules": MAPPING["rules"] if rules is None else rules,
        "lookups": MAPPING["lookups"],
    }


def test_create_update_versions_and_preview(client_for, developer_a, connection_a):
    client = client_for(developer_a)
    created = client.post("/api/v1/mappings/", create_body(connection_a), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["name"] == "NetSuite sandbox · shipments (read)"
    assert body["current_version"]["number"] == 1 and body["current_version"]["is_complete"]
    mapping_id = body["id"]

    partial = MAPPING["rules"][:3]
    updated = client.patch(f"/api/v1/mappings/{mapping_id}/", {"rules": partial, "comment": "trim"}, format="json")
    assert updated.status_code == 200
    version = updated.json()["current_version"]
    assert version["number"] == 2 and not version["is_complete"] and "ship_to.city" in version["missing_required"]
    assert version["lookups"] == MAPPING["lookups"]  # carried over from the previous version

    versions = client.get(f"/api/v1/mappings/{mapping_id}/versions").json()["results"]
    assert [v["number"] for v in versions] == [2, 1] and versions[0]["comment"] == "trim"
    assert versions[0]["created_by"] == "dev_a"

    client.patch(f"/api/v1/mappings/{mapping_id}/", {"rules": MAPPING["rules"]}, format="json")
    bad = {**RECORD, "shipStatus": {"id": "Z"}}
    preview = client.post(f"/api/v1/mappings/{mapping_id}/preview", {"records": [RECORD, bad]}, format="json")
    assert preview.status_code == 200, preview.json()
    result = preview.json()
    assert result["version"] == 3 and result["summary"] == {"records": 2, "ok": 1, "failed": 1}
    assert result["results"][0]["output"]["shipment_number"] == "IF-9001"
    assert result["results"][1]["output"] is None
    assert result["results"][1]["errors"][0]["rule"] == "status"
    assert result["results"][1]["input"]["shipStatus"] == {"id": "Z"}

    draft = client.post(
        f"/api/v1/mappings/{mapping_id}/preview/",
        {"records": [RECORD], "rules": [{"target": "shipment_number", "source": "tranId"}]},
        format="json",
    ).json()
    assert draft["version"] is None and draft["results"][0]["errors"][0]["rule"] == "lines"
    assert Mapping.objects.get(pk=mapping_id).current_version().number == 3  # a draft preview saves nothing


def test_invalid_rules_are_rejected_with_the_rule_named(client_for, developer_a, connection_a):
    client = client_for(developer_a)
    response = client.post(
        "/api/v1/mappings/",
        create_body(connection_a, [{"target": "ship_date", "source": "x", "transforms": [{"op": "nope"}]}]),
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"]["rules"][0].startswith("ship_date: transform 1: unknown transform 'nope'")
    assert not Mapping.objects.exists()
    preview = client.post("/api/v1/mappings/1/preview", {}, format="json")
    assert preview.status_code == 404


def test_one_mapping_per_connection_stream_direction(client_for, developer_a, connection_a):
    client = client_for(developer_a)
    assert client.post("/api/v1/mappings/", create_body(connection_a), format="json").status_code == 201
    again = client.post("/api/v1/mappings/", create_body(connection_a), format="json")
    assert again.status_code == 400 and "already has a mapping" in again.json()["error"]["fields"]["stream"][0]


def test_tenant_isolation(client_for, developer_a, owner_b, connection_a, connection_b, org_b):
    other = actions.create_mapping(
        org_b,
        connection=connection_b,
        stream="shipments",
        direction="read",
        standard="shipment",
        rules=MAPPING["rules"],
        lookups=MAPPING["lookups"],
    )
    client = client_for(developer_a)
    assert client.get(f"/api/v1/mappings/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/mappings/{other.pk}/versions").status_code == 404
    assert client.post(f"/api/v1/mappings/{other.pk}/preview", {"records": [RECORD]}, format="json").status_code == 404
    assert client.patch(f"/api/v1/mappings/{other.pk}/", {"rules": []}, format="json").status_code == 404
    assert client.delete(f"/api/v1/mappings/{other.pk}/").status_code == 404
    assert client.get("/api/v1/mappings/").json()["results"] == []
    # Another organization's connection cannot be referenced.
    response = client.post("/api/v1/mappings/", create_body(connection_b), format="json")
    assert response.status_code == 400 and "not found" in response.json()["error"]["fields"]["connection"][0]
    with pytest.raises(Exception, match="not found"):
        actions.create_mapping(
            developer_a.memberships.first().organization,
            connection=connection_b,
            stream="s",
            direction="read",
            standard="shipment",
        )
    table = LookupTable.objects.create(organization=org_b, name="secret", values={"a": "b"})
    assert client.get(f"/api/v1/lookup-tables/{table.pk}/").status_code == 404
    assert client.get("/api/v1/lookup-tables/").json()["results"] == []
    other_client = client_for(owner_b)
    assert other_client.get(f"/api/v1/mappings/{other.pk}/").status_code == 200


def test_viewer_reads_but_cannot_write(client_for, viewer_a, developer_a, connection_a):
    actions.create_mapping(
        connection_a.organization, connection=connection_a, stream="shipments", direction="read", standard="shipment"
    )
    client = client_for(viewer_a)
    assert client.get("/api/v1/mappings/").status_code == 200
    assert client.post("/api/v1/mappings/", create_body(connection_a), format="json").status_code == 403


def test_lookup_tables_are_shared_and_changes_reach_compiled_mappings(client_for, developer_a, connection_a, org_a):
    client = client_for(developer_a)
    created = client.post(
        "/api/v1/lookup-tables/", {"name": "ship_status", "values": {"A": "picked", "C": "shipped"}}, format="json"
    )
    assert created.status_code == 201
    duplicate = client.post("/api/v1/lookup-tables/", {"name": "ship_status", "values": {}}, format="json")
    assert duplicate.status_code == 400
    rules = [
        {"target": "shipment_number", "source": "tranId"},
        {"target": "status", "source": "shipStatus.id", "transforms": [{"op": "lookup", "table": "ship_status"}]},
    ]
    first = actions.create_mapping(
        org_a, connection=connection_a, stream="shipments", direction="read", standard="shipment", rules=rules
    )
    second = actions.create_mapping(
        org_a, connection=connection_a, stream="returns", direction="read", standard="shipment", rules=rules
    )
    record = {"tranId": "IF-1", "shipStatus": {"id": "B"}}
    assert first.current_version().compiled().apply(record).errors[0].message.startswith("unknown value 'B'")
    table_id = created.json()["id"]
    patched = client.patch(
        f"/api/v1/lookup-tables/{table_id}/", {"values": {"A": "picked", "B": "packed", "C": "shipped"}}, format="json"
    )
    assert patched.status_code == 200
    for mapping in (first, second):
        errors = mapping.current_version().compiled().apply(record).errors
        assert all(e.rule != "status" for e in errors)
        assert mapping.current_version().lookup_tables()["ship_status"]["B"] == "packed"
    # A table unknown to the organization makes the mapping invalid.
    with pytest.raises(MappingInvalid, match="lookup table 'missing' does not exist"):
        actions.save_mapping_version(
            first, [{"target": "status", "source": "s", "transforms": [{"op": "lookup", "table": "missing"}]}]
        )


def test_ensure_default_mapping_from_vendor_file(monkeypatch, tmp_path, connection_a, org_a):
    (tmp_path / "netsuite" / "mappings").mkdir(parents=True)
    shutil.copy(FIXTURES / "shipments.read.json", tmp_path / "netsuite" / "mappings" / "shipments.read.json")
    monkeypatch.setattr(defaults, "CONNECTORS_DIR", tmp_path)
    assert defaults.load_default_mapping("netsuite", "shipments", "read")["standard"] == "shipment"
    assert defaults.load_default_mapping("netsuite", "orders", "write") is None
    with pytest.raises(defaults.DefaultMappingError):
        defaults.load_default_mapping("../etc", "passwd", "read")
    LookupTable.objects.create(
        organization=org_a,
        name="netsuite_ship_status",
        values={"A": "picked", "B": "packed", "C": "shipped", "D": "delivered"},
    )
    mapping = actions.ensure_default_mapping(connection_a, "shipments", "read")
    assert mapping.standard == "shipment" and mapping.current_version().is_complete
    assert actions.ensure_default_mapping(connection_a, "shipments", "read") == mapping
    assert mapping.versions.count() == 1
    tables = {t.name: t.values for t in LookupTable.objects.filter(organization=org_a)}
    assert tables["netsuite_ship_status"]["D"] == "delivered"  # the organization's own table is kept
    assert tables["netsuite_ship_method"]["1234"]["carrier"] == "UPS"
    assert mapping.current_version().compiled().apply(RECORD).ok
    assert actions.ensure_default_mapping(connection_a, "orders", "write") is None


def test_standards_api_and_page(client_for, viewer_a, client):
    api = client_for(viewer_a)
    listing = api.get("/api/v1/standards/").json()["results"]
    assert [s["name"] for s in listing] == ["product", "shipment", "inventory_level", "order", "location"]
    shipment = api.get("/api/v1/standards/shipment/").json()
    assert shipment["schema"]["properties"]["ship_to"]["properties"]["country"]["pattern"] == "^[A-Z]{2}$"
    assert any(f["path"] == "lines[].quantity" and f["required"] for f in shipment["fields"])
    assert api.get("/api/v1/standards/invoice/").status_code == 404
    client.force_login(viewer_a)
    page = client.get("/standards/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "lines[].quantity" in html and "Units to ship (greater than zero)." in html and "TSHIRT-BLK-M" in html


def test_admin_lists_mappings_scoped(admin_client, connection_a, connection_b, org_a, org_b):
    actions.create_mapping(
        org_a, connection=connection_a, stream="shipments", direction="read", standard="shipment", name="A ships"
    )
    actions.create_mapping(
        org_b, connection=connection_b, stream="shipments", direction="read", standard="shipment", name="B ships"
    )
    page = admin_client.get("/admin/mapping/mapping/")
    assert page.status_code == 200 and b"A ships" in page.content and b"B ships" in page.content
    assert admin_client.get("/admin/mapping/mappingversion/").status_code == 200
    assert admin_client.get("/admin/mapping/lookuptable/").status_code == 200
    assert admin_client.get("/admin/mapping/suggestionfeedback/").status_code == 200
