"""Step 3: pull samples, verify the pre-filled mapping with a preview, save; unmapped required fields block."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connectors.mapping.models import Mapping
from tests.wizard.helpers import verified_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def netsuite(org_a, netsuite_sandbox):
    return verified_connection(org_a, "netsuite", netsuite_sandbox, "NetSuite")


def _pull(client, connection, stream="shipments"):
    return client.post(reverse("wizard-map-pull", args=[connection.pk, stream]))


def test_map_configurations_pulls_samples_and_prefills_the_default(web_for, owner_a, netsuite):
    client = web_for(owner_a)
    page = client.get(reverse("wizard-map", args=[netsuite.pk])).content.decode()
    assert "Map Configurations" in page and "shipments" in page

    response = _pull(client, netsuite)
    assert response["Location"] == reverse("wizard-map-stream", args=[netsuite.pk, "shipments"])
    mapping = Mapping.objects.get(connection=netsuite, stream="shipments", direction="read")
    assert mapping.current_version().is_complete

    page = client.get(response["Location"]).content.decode()
    # a dropdown per standard field, pre-selected from the default mapping
    assert '<option value="shippingAddress.city" selected>' in page
    assert 'name="src:ship_to.city"' in page
    assert 'name="tx:ship_to.country"' in page and "upper" in page  # transforms editable
    assert "Mapped output" in page and "Source" in page  # side-by-side preview
    assert "sample records map cleanly" in page


def _save(client, connection, changes: dict):
    """Pull samples, then save the shipments form as the browser shows it, with `changes` made."""
    _pull(client, connection)
    url = reverse("wizard-map-stream", args=[connection.pk, "shipments"])
    return client.post(url, {**_form_values(client.get(url)), "action": "save", **changes})


def test_save_creates_a_new_version(web_for, owner_a, netsuite):
    response = _save(web_for(owner_a), netsuite, {"src:instructions": ""})  # drop an optional field
    assert response.status_code == 302, response.content.decode()[:3000]
    version = Mapping.objects.get(connection=netsuite, stream="shipments").current_version()
    assert version.number == 2 and version.is_complete
    assert not any(r.get("target") == "instructions" for r in version.rules)
    assert any(r.get("target") == "source_ids.netsuite" for r in version.rules)  # kept though not in the table
    assert any(r.get("target") == "lines" and r.get("each") == "item.items[*]" for r in version.rules)


def test_unmapped_required_field_blocks_save(web_for, owner_a, netsuite):
    response = _save(web_for(owner_a), netsuite, {"src:ship_to.city": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Map these required fields before saving: ship_to.city" in page
    assert Mapping.objects.get(connection=netsuite, stream="shipments").current_version().number == 1


def test_bad_transform_json_is_reported_on_its_field(web_for, owner_a, netsuite):
    page = _save(web_for(owner_a), netsuite, {"tx:carrier": "[{op: trim}"}).content.decode()
    assert "Transforms is not valid JSON" in page


def test_verify_without_mapping_sends_back_to_map_configurations(web_for, owner_a, netsuite):
    response = web_for(owner_a).get(reverse("wizard-map-stream", args=[netsuite.pk, "products"]))
    assert response["Location"] == reverse("wizard-map", args=[netsuite.pk])


def test_other_organization_cannot_map(web_for, owner_b, netsuite):
    assert _pull(web_for(owner_b), netsuite).status_code == 404


def _form_values(response) -> dict:
    """What the browser would submit: every select's selected option, textareas and hidden inputs."""
    from html.parser import HTMLParser

    class Parser(HTMLParser):
        def __init__(self):
            super().__init__()
            self.values, self.select, self.textarea = {}, None, None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "select":
                self.select = a.get("name")
            elif tag == "option" and self.select and "selected" in a:
                self.values[self.select] = a.get("value", "")
            elif tag == "textarea":
                self.textarea = a.get("name")
                self.values[self.textarea] = ""
            elif tag == "input" and a.get("name") and a.get("type") in ("hidden", "text"):
                self.values[a["name"]] = a.get("value", "")

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None
            elif tag == "textarea":
                self.textarea = None

        def handle_data(self, data):
            if self.textarea:
                self.values[self.textarea] += data

    parser = Parser()
    parser.feed(response.content.decode())
    return parser.values
