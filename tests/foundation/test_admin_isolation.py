import pytest

from ekyam import actions
from ekyam.models import ApiKey, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_a(org_a, make_member):
    return make_member(org_a, "staff_a", Role.ADMIN, is_staff=True)


def _grant_admin_perms(user):
    from django.contrib.auth.models import Permission

    user.user_permissions.set(Permission.objects.filter(content_type__app_label="ekyam"))


def test_staff_sees_only_own_organization_in_admin(client, staff_a, org_a, org_b):
    _grant_admin_perms(staff_a)
    a_key, _ = actions.create_api_key(org_a, "a-key")
    b_key, _ = actions.create_api_key(org_b, "b-secret-key")
    client.force_login(staff_a)

    listing = client.get("/admin/ekyam/apikey/")
    assert listing.status_code == 200
    assert b"a-key" in listing.content and b"b-secret-key" not in listing.content
    # Another organization's object does not exist for this operator.
    response = client.get(f"/admin/ekyam/apikey/{b_key.pk}/change/")
    assert response.status_code == 302 and "/admin/" in response.url
    assert client.get(f"/admin/ekyam/apikey/{a_key.pk}/change/").status_code == 200
    orgs = client.get("/admin/ekyam/organization/")
    assert b"Acme Apparel" in orgs.content and b"Bolt Bikes" not in orgs.content


def test_superuser_sees_all_and_key_hash_never_shown(admin_client, org_a, org_b):
    a_key, raw = actions.create_api_key(org_a, "a-key")
    listing = admin_client.get("/admin/ekyam/apikey/")
    assert b"a-key" in listing.content
    page = admin_client.get(f"/admin/ekyam/apikey/{a_key.pk}/change/").content.decode()
    assert a_key.key_hash not in page and raw not in page


def test_admin_creates_key_and_shows_it_once(admin_client, org_a):
    response = admin_client.post(
        "/admin/ekyam/apikey/add/", {"organization": org_a.pk, "name": "from admin", "role": "viewer"}, follow=True
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(name="from admin")
    messages = [str(m) for m in response.context["messages"]]
    assert any(key.prefix in m and "will not be shown again" in m for m in messages)
