import pytest

from ekyam.models import ApiKey, Invitation, Membership, Role

pytestmark = pytest.mark.django_db


def test_create_key_redirects_and_shows_secret_once(client, admin_a):
    client.force_login(admin_a)
    response = client.post("/settings/api-keys/", {"name": "bridge", "role": "viewer"})
    assert response.status_code == 302
    assert not _sessions_holding_a_key()  # not even between the redirect and the page
    page = client.get("/settings/api-keys/").content.decode()
    key = ApiKey.objects.get(name="bridge")
    assert 'id="new-key"' in page and key.prefix in page
    assert not _sessions_holding_a_key()
    assert 'id="new-key"' not in client.get("/settings/api-keys/").content.decode()


def _sessions_holding_a_key() -> list:
    from django.contrib.sessions.models import Session

    return [s.pk for s in Session.objects.all() if "eky_" in str(s.get_decoded())]


def test_viewer_cannot_create_keys_or_invite(client, viewer_a, owner_b):
    client.force_login(viewer_a)
    assert client.post("/settings/api-keys/", {"name": "x", "role": "viewer"}).status_code == 403
    assert client.post("/settings/members/", {"email": "owner_b@example.com", "role": "viewer"}).status_code == 403
    assert not ApiKey.objects.exists()
    assert not Invitation.objects.exists()


def test_the_members_page_never_adds_an_existing_user_directly(client, admin_a, owner_b, org_a):
    client.force_login(admin_a)
    assert client.post("/settings/members/", {"email": "owner_b@example.com", "role": "developer"}).status_code == 302
    # An invitation waits for them; they are not a member until they accept it.
    assert not Membership.objects.filter(user=owner_b, organization=org_a).exists()
    assert Invitation.objects.get(organization=org_a).email == "owner_b@example.com"
    # An admin cannot invite an owner.
    assert client.post("/settings/members/", {"email": "x@example.com", "role": Role.OWNER}).status_code == 200
    assert Invitation.objects.count() == 1


def test_revoking_another_organizations_key_is_404(client, admin_a, org_b):
    from ekyam import actions

    key, _ = actions.create_api_key(org_b, "theirs")
    client.force_login(admin_a)
    assert client.post(f"/settings/api-keys/{key.pk}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None
