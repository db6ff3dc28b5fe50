"""Steps 1 and 2: connector cards, the generated credential form and the real check against a sandbox."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connectors.models import Connection, ConnectionStatus
from tests.wizard.helpers import form_data

pytestmark = pytest.mark.django_db


def test_cards_say_what_each_connector_reads_and_writes(web_for, owner_a):
    page = web_for(owner_a).get(reverse("wizard-start")).content.decode()
    assert "NetSuite: reads Products and Shipments; no writer" in page
    assert "Whiplash: reads" in page and "writes Orders" in page
    assert 'href="/setup/connect/netsuite/"' in page


def test_credential_form_is_generated_from_the_connector(web_for, owner_a):
    page = web_for(owner_a).get(reverse("wizard-connect", args=["netsuite"])).content.decode()
    assert '<label for="id_account_id">Account ID</label>' in page
    assert 'type="password" name="consumer_secret"' in page
    assert "Setup &gt; Company &gt; Company Information" in page  # help text: where to find the key
    assert 'aria-describedby="id_account_id_helptext"' in page


def test_wrong_key_fails_with_the_reason_beside_the_field_and_creates_nothing(web_for, owner_a, netsuite_sandbox):
    client = web_for(owner_a)
    credentials = dict(netsuite_sandbox.credentials, consumer_secret="wrong-secret-123")
    response = client.post(reverse("wizard-connect", args=["netsuite"]), form_data(credentials, "Main NetSuite"))
    assert response.status_code == 200
    assert not Connection.objects.exists()  # checked before saving: a failed check stores nothing
    page = response.content.decode()
    assert "The check failed" in page and "Nothing was saved" in page
    assert "consumer secret or the token secret is wrong" in page
    assert 'id="id_consumer_secret_errors"' in page  # the reason sits beside the field it is about
    assert "type the secrets again" in page.lower() or "Copy the keys again" in page
    for name in ("consumer_key", "token_id", "account_id", "base_url"):  # non-secret fields kept
        assert f'value="{netsuite_sandbox.credentials[name]}"' in page, name
    assert "wrong-secret-123" not in page and netsuite_sandbox.credentials["token_secret"] not in page

    response = client.post(
        reverse("wizard-connect", args=["netsuite"]), form_data(netsuite_sandbox.credentials, "Main NetSuite")
    )
    connection = Connection.objects.get(name="Main NetSuite")
    assert response.status_code == 302 and response["Location"] == reverse("wizard-auth", args=[connection.pk])
    assert connection.status == ConnectionStatus.VERIFIED and connection.last_checked_at
    page = client.get(response["Location"]).content.decode()
    assert "Authenticated" in page and "Next: map your data" in page


def test_an_unreachable_address_is_explained_on_the_address_field(web_for, owner_a, netsuite_sandbox):
    from ekyam.embedded import free_port

    credentials = dict(netsuite_sandbox.credentials, base_url=f"http://127.0.0.1:{free_port()}")
    response = web_for(owner_a).post(reverse("wizard-connect", args=["netsuite"]), form_data(credentials, "NS"))
    assert response.status_code == 200 and not Connection.objects.exists()
    page = response.content.decode()
    assert 'id="id_base_url_errors"' in page and "Check the address" in page


def test_a_reused_name_is_a_field_error(web_for, owner_a, org_a, netsuite_sandbox):
    client = web_for(owner_a)
    data = form_data(netsuite_sandbox.credentials, "Main NetSuite")
    assert client.post(reverse("wizard-connect", args=["netsuite"]), data).status_code == 302
    response = client.post(reverse("wizard-connect", args=["netsuite"]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_name_errors"' in page and "already called" in page
    assert Connection.objects.filter(organization=org_a).count() == 1


def test_editing_credentials_is_checked_before_they_replace_the_stored_ones(web_for, owner_a, netsuite_sandbox):
    client = web_for(owner_a)
    client.post(reverse("wizard-connect", args=["netsuite"]), form_data(netsuite_sandbox.credentials, "NS"))
    connection = Connection.objects.get(name="NS")
    stored = connection.get_credentials()
    wrong = {k: v for k, v in netsuite_sandbox.credentials.items() if k not in ("consumer_secret", "token_secret")}
    wrong["token_id"] = "someone-elses-token"
    response = client.post(reverse("wizard-auth", args=[connection.pk]), form_data(wrong, "NS"))
    assert response.status_code == 200 and "The stored credentials are unchanged" in response.content.decode()
    connection.refresh_from_db()
    assert connection.get_credentials() == stored and connection.status == ConnectionStatus.VERIFIED

    response = client.post(
        reverse("wizard-auth", args=[connection.pk]), form_data(wrong | {"token_id": stored["token_id"]}, "NS prod")
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.name == "NS prod" and connection.status == ConnectionStatus.VERIFIED


def test_missing_field_is_shown_on_the_field(web_for, owner_a):
    response = web_for(owner_a).post(
        reverse("wizard-connect", args=["netsuite"]), {"name": "NS", "account_id": "123", "auth_method": "tba"}
    )
    assert response.status_code == 200
    assert "This field is required for the chosen authentication." in response.content.decode()
    assert not Connection.objects.exists()


def test_viewer_sees_but_cannot_connect(web_for, org_a, make_member):
    from ekyam.models import Role

    viewer = make_member(org_a, "vic", Role.VIEWER)
    client = web_for(viewer)
    assert client.get(reverse("wizard-start")).status_code == 200
    assert client.post(reverse("wizard-connect", args=["netsuite"]), {"name": "x"}).status_code == 403


def test_other_organizations_connection_is_not_found(web_for, org_a, owner_b):
    connection = Connection(organization=org_a, connector_type="netsuite", name="Secret NS")
    connection.set_credentials({"account_id": "1"})
    connection.save()
    client = web_for(owner_b)
    assert client.get(reverse("wizard-auth", args=[connection.pk])).status_code == 404
    assert "Secret NS" not in client.get(reverse("wizard-start")).content.decode()


def test_unknown_connector_is_not_found(web_for, owner_a):
    assert web_for(owner_a).get(reverse("wizard-connect", args=["nope"])).status_code == 404


def test_oauth_fields_are_marked_for_their_sign_in_method_and_rendered_without_script(web_for, owner_a):
    page = web_for(owner_a).get(reverse("wizard-connect", args=["netsuite"])).content.decode()
    # Every field is in the page (visible without JavaScript); the script hides the other method's.
    for name in ("consumer_key", "token_secret", "client_id", "certificate_id", "private_key"):
        assert f'name="{name}"' in page, name
    assert page.count('data-show-when-value="oauth2"') == 3
    assert page.count('data-show-when-value="tba"') == 4
    assert "wizard/credentials.js" in page
    assert " hidden" not in page.split('<form method="post" class="card credential-form"')[1].split("</form>")[0]


def test_field_errors_are_announced_and_tied_to_their_input(web_for, owner_a):
    response = web_for(owner_a).post(
        reverse("wizard-connect", args=["netsuite"]), {"name": "NS", "account_id": "123", "auth_method": "tba"}
    )
    page = response.content.decode()
    assert 'id="id_consumer_key_errors" class="error" role="alert"' in page
    assert 'aria-describedby="id_consumer_key_helptext id_consumer_key_errors"' in page
    assert 'aria-invalid="true"' in page


def test_shopify_connects_with_its_typed_admin_api_access_token(web_for, owner_a):
    """Shopify's access token is a field the user types (not a token the connector obtains): it must
    not be dropped as internal before validation ("This field is required" on a filled field)."""
    from connectors.registry import get_connector
    from connectors.sandbox import SandboxServer

    shopify = get_connector("shopify")
    with SandboxServer(shopify.sandbox_app()) as server:
        credentials = shopify.sandbox_credentials(server.url)
        response = web_for(owner_a).post(reverse("wizard-connect", args=["shopify"]), form_data(credentials, "Shop"))
        assert response.status_code == 302, response.content.decode()[-2000:]
    connection = Connection.objects.get(name="Shop")
    assert connection.status == ConnectionStatus.VERIFIED
    assert connection.get_credentials()["access_token"] == credentials["access_token"]
