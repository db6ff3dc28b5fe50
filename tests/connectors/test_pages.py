import pytest

from tests.connectors.conftest import SECRETS

pytestmark = pytest.mark.django_db


def test_pages_show_status_never_secrets_and_are_scoped(client, developer_a, owner_b, ns_connection):
    client.force_login(developer_a)
    listing = client.get("/connections/")
    assert listing.status_code == 200 and b"NetSuite production" in listing.content and b"Unverified" in listing.content
    checked = client.post(f"/connections/{ns_connection.pk}/check/", follow=True)
    text = checked.content.decode()
    assert "Verified" in text and "Authenticated" in text and "••••" in text
    assert all(secret not in text for secret in SECRETS)
    client.force_login(owner_b)
    assert client.get(f"/connections/{ns_connection.pk}/").status_code == 404
    assert b"NetSuite production" not in client.get("/connections/").content
