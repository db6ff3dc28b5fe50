"""People: sign-up, invitations (send, accept, expired, reused, revoked, no enumeration), the owner rule on
the page and the API, password reset, the organization switcher, the no-organization page, the demo label."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from connectors.models import Connection, ConnectionStatus
from ekyam import actions
from ekyam.models import ApiKey, Invitation, Membership, Organization, Role

pytestmark = pytest.mark.django_db

PASSWORD = "Tangerine-Kite-4821"


@pytest.fixture(autouse=True)
def fresh_limits():
    # The hourly limits count in the cache, which outlives a test (Redis in the suite).
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def mails_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    """Invitation mails go out on commit; the test's transaction never commits, so each request's
    callbacks run as the request ends, as they would after its commit."""
    from django.test import Client  # DRF's APIClient ends in Client.request too

    original = Client.request

    def request(self, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return original(self, *args, **kwargs)

    monkeypatch.setattr(Client, "request", request)


def _link(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def _path(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def _signup(client, username="newcomer", org="Newcomer Goods", **extra):
    data = {
        "username": username,
        "email": f"{username}@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "organization_name": org,
    }
    return client.post("/signup/", {**data, **extra})


def _invite(client, email, role=Role.VIEWER):
    return client.post("/settings/members/", {"email": email, "role": role})


# --- Sign-up ---------------------------------------------------------------------------------------


def test_sign_up_creates_the_person_and_their_organization_and_starts_the_wizard_at_step_one(client, org_a):
    # Another organization far into its setup must not make the newcomer's steps "done".
    connection = Connection(
        organization=org_a, connector_type="whiplash", name="theirs", status=ConnectionStatus.VERIFIED
    )
    connection.set_credentials({"base_url": "http://127.0.0.1:9/", "client_id": "x", "client_secret": "y"})
    connection.save()

    response = _signup(client)
    assert response.status_code == 302 and response["Location"] == "/setup/"
    organization = Organization.objects.get(name="Newcomer Goods")
    membership = Membership.objects.get(organization=organization)
    assert membership.user.username == "newcomer" and membership.role == Role.OWNER
    assert membership.user.email == "newcomer@example.com" and membership.user.check_password(PASSWORD)

    page = client.get("/setup/")
    assert page.status_code == 200
    steps = page.context["steps"]
    assert [s.done for s in steps] == [False] * 5
    assert steps[0].current and page.context["state"]["connections"] == []
    assert "theirs" not in page.content.decode()


def test_sign_up_errors_are_specific_and_create_nothing(client, owner_a):
    response = _signup(client, username="owner_a")
    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()
    response = _signup(client, password2="something-else-entirely")
    assert "The two password fields didn’t match." in response.content.decode()
    response = _signup(client, org="   ")
    assert response.context["form"].errors["organization_name"]
    assert not Organization.objects.filter(name="Newcomer Goods").exists()


def test_sign_up_attempts_are_limited_per_address(client, settings):
    settings.SIGNUP_ATTEMPTS_PER_HOUR = 2
    assert _signup(client, password2="nope-1").status_code == 200
    assert _signup(client, password2="nope-2").status_code == 200
    response = _signup(client)
    assert response.status_code == 429 and "Too many sign-up attempts" in response.content.decode()
    assert not Organization.objects.filter(name="Newcomer Goods").exists()


def test_signed_in_people_create_another_organization_instead_of_signing_up(client, owner_a):
    client.force_login(owner_a)
    assert client.get("/signup/")["Location"] == "/organizations/new/"
    response = client.post("/organizations/new/", {"organization_name": "Second Shop"})
    assert response.status_code == 302
    second = Organization.objects.get(name="Second Shop")
    assert Membership.objects.get(organization=second, user=owner_a).role == Role.OWNER
    # The new organization is the one the session now works in.
    assert client.get("/api/v1/organization/").json()["name"] == "Second Shop"


def test_sign_up_can_be_closed(client, settings):
    settings.SIGNUP_OPEN = False
    assert _signup(client).status_code == 403
    assert not Organization.objects.exists()


# --- Invitations -------------------------------------------------------------------------------------


def test_invitation_is_mailed_with_a_single_use_link_and_only_its_hash_is_stored(client, owner_a, org_a):
    client.force_login(owner_a)
    assert _invite(client, "guest@example.com", Role.DEVELOPER).status_code == 302
    (message,) = mail.outbox
    assert message.to == ["guest@example.com"] and "Acme Apparel" in message.subject
    link = _link(message)
    assert link.startswith("http://testserver/invite/")
    invitation = Invitation.objects.get()
    token = _path(link).split("/")[2]
    assert invitation.token_hash != token and token not in str(Invitation.objects.values().get())
    assert invitation.status == "pending" and invitation.role == Role.DEVELOPER and invitation.invited_by == owner_a
    page = client.get("/settings/members/").content.decode()
    assert "guest@example.com" in page and "Pending" in page


def test_the_invite_answer_does_not_tell_whether_an_account_exists(client, owner_a, owner_b):
    client.force_login(owner_a)
    answers = []
    for email in ("owner_b@example.com", "nobody@example.com"):
        response = _invite(client, email)
        follow = client.get(response["Location"])
        text = [str(m) for m in follow.context["messages"]]
        answers.append((response.status_code, response["Location"], [t.replace(email, "…") for t in text]))
    assert answers[0] == answers[1]
    assert len(mail.outbox) == 2
    assert not Membership.objects.filter(user=owner_b, organization__name="Acme Apparel").exists()


def test_a_logged_in_person_accepts_and_the_link_then_stops_working(client, owner_a, owner_b, org_a):
    client.force_login(owner_a)
    _invite(client, "owner_b@example.com", Role.DEVELOPER)
    path = _path(_link(mail.outbox[0]))
    client.force_login(owner_b)
    page = client.get(path)
    assert page.status_code == 200 and "Join Acme Apparel" in page.content.decode()
    response = client.post(path)
    assert response.status_code == 302
    assert Membership.objects.get(user=owner_b, organization=org_a).role == Role.DEVELOPER
    # The session now works in the organization just joined.
    assert client.get("/api/v1/organization/").json()["name"] == "Acme Apparel"
    invitation = Invitation.objects.get()
    assert invitation.status == "accepted" and invitation.accepted_by == owner_b

    reused = client.post(path)
    assert reused.status_code == 410 and "already been used" in reused.content.decode()
    assert client.get(path).status_code == 410


def test_a_new_person_signs_up_through_the_link_with_the_invited_address(client, owner_a, org_a):
    client.force_login(owner_a)
    _invite(client, "fresh@example.com", Role.VIEWER)
    path = _path(_link(mail.outbox[0]))
    client.logout()
    page = client.get(path)
    assert "Create your account" in page.content.decode()
    response = client.post(path, {"username": "fresh", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    membership = Membership.objects.get(user__username="fresh")
    assert membership.organization == org_a and membership.role == Role.VIEWER
    assert membership.user.email == "fresh@example.com"
    # Signed in, and no organization of their own was made.
    assert client.get("/").status_code == 200
    assert Organization.objects.count() == 1


def test_expired_revoked_and_unknown_links_are_refused_and_add_nobody(client, owner_a, owner_b, org_a):
    client.force_login(owner_a)
    _invite(client, "late@example.com")
    _invite(client, "withdrawn@example.com")
    late_path, withdrawn_path = (_path(_link(m)) for m in mail.outbox)
    Invitation.objects.filter(email="late@example.com").update(expires_at=timezone.now() - timedelta(seconds=1))
    withdrawn = Invitation.objects.get(email="withdrawn@example.com")
    assert client.post(f"/settings/invitations/{withdrawn.pk}/revoke/").status_code == 302
    assert Invitation.objects.get(pk=withdrawn.pk).status == "revoked"

    client.force_login(owner_b)
    for path, words in ((late_path, "expired"), (withdrawn_path, "withdrawn")):
        assert words in client.get(path).content.decode()
        response = client.post(path)
        assert response.status_code == 410
    assert client.get("/invite/not-a-real-token/").status_code == 404
    assert not Membership.objects.filter(user=owner_b, organization=org_a).exists()

    client.logout()
    response = client.post(late_path, {"username": "latecomer", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 410
    assert not Membership.objects.filter(user__username="latecomer").exists()


def test_a_new_invitation_to_the_same_address_replaces_the_pending_one(client, owner_a):
    client.force_login(owner_a)
    _invite(client, "twice@example.com")
    _invite(client, "twice@example.com")
    first, second = (_path(_link(m)) for m in mail.outbox)
    assert sorted(i.status for i in Invitation.objects.all()) == ["pending", "revoked"]
    assert client.get(first).status_code == 410 and client.get(second).status_code == 200


def test_another_organizations_invitation_cannot_be_revoked(client, owner_a, owner_b, org_b):
    client.force_login(owner_b)
    _invite(client, "theirs@example.com")
    invitation = Invitation.objects.get()
    client.force_login(owner_a)
    assert client.post(f"/settings/invitations/{invitation.pk}/revoke/").status_code == 404
    assert Invitation.objects.get().status == "pending"


def test_invitations_api_answers_the_same_for_known_and_unknown_addresses(client_for, admin_a, owner_b, viewer_a):
    api = client_for(admin_a)
    known = api.post("/api/v1/invitations/", {"email": "owner_b@example.com", "role": "developer"}, format="json")
    unknown = api.post("/api/v1/invitations/", {"email": "nobody@example.com", "role": "developer"}, format="json")
    assert known.status_code == unknown.status_code == 201
    assert set(known.json()) == set(unknown.json()) and "token" not in known.json()
    assert {k: v for k, v in known.json().items() if k not in ("id", "email", "created_at", "expires_at")} == {
        k: v for k, v in unknown.json().items() if k not in ("id", "email", "created_at", "expires_at")
    }
    assert len(mail.outbox) == 2
    owner_invite = api.post("/api/v1/invitations/", {"email": "boss@example.com", "role": "owner"}, format="json")
    assert owner_invite.status_code == 403 and "owner" in owner_invite.json()["error"]["message"]
    revoked = api.post(f"/api/v1/invitations/{known.json()['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert client_for(viewer_a).get("/api/v1/invitations/").status_code == 403


# --- The owner rule, on the page and the API ---------------------------------------------------------


def _role(user, org):
    return Membership.objects.get(user=user, organization=org).role


def test_an_admin_cannot_demote_remove_or_create_an_owner_on_the_page(client, owner_a, admin_a, developer_a, org_a):
    owner_membership = Membership.objects.get(user=owner_a, organization=org_a)
    dev_membership = Membership.objects.get(user=developer_a, organization=org_a)
    client.force_login(admin_a)
    assert client.post(f"/settings/members/{owner_membership.pk}/role/", {"role": "viewer"}).status_code == 403
    assert client.post(f"/settings/members/{owner_membership.pk}/remove/").status_code == 403
    assert client.post(f"/settings/members/{dev_membership.pk}/role/", {"role": "owner"}).status_code == 403
    assert _role(owner_a, org_a) == Role.OWNER and _role(developer_a, org_a) == Role.DEVELOPER
    # What an admin may do: change and remove people who are not owners.
    assert client.post(f"/settings/members/{dev_membership.pk}/role/", {"role": "viewer"}).status_code == 302
    assert _role(developer_a, org_a) == Role.VIEWER
    page = client.get("/settings/members/").content.decode()
    assert "Only an owner can change an owner." in page
    assert '<option value="owner"' not in page  # the page offers only what the rule allows
    assert client.post(f"/settings/members/{dev_membership.pk}/remove/").status_code == 302
    assert not Membership.objects.filter(pk=dev_membership.pk).exists()


def test_the_last_owner_stays_and_owners_hand_over_on_the_page(client, owner_a, admin_a, org_a):
    owner_membership = Membership.objects.get(user=owner_a, organization=org_a)
    admin_membership = Membership.objects.get(user=admin_a, organization=org_a)
    client.force_login(owner_a)
    response = client.post(f"/settings/members/{owner_membership.pk}/role/", {"role": "admin"}, follow=True)
    assert "last owner" in response.content.decode()
    client.post(f"/settings/members/{owner_membership.pk}/remove/")
    assert _role(owner_a, org_a) == Role.OWNER
    client.post(f"/settings/members/{admin_membership.pk}/role/", {"role": "owner"})
    assert _role(admin_a, org_a) == Role.OWNER
    client.post(f"/settings/members/{owner_membership.pk}/role/", {"role": "admin"})
    assert _role(owner_a, org_a) == Role.ADMIN


def test_the_api_applies_the_same_owner_rule(client_for, owner_a, admin_a, developer_a, org_a):
    owner_id = Membership.objects.get(user=owner_a, organization=org_a).pk
    dev_id = Membership.objects.get(user=developer_a, organization=org_a).pk
    admin_api = client_for(admin_a)
    refused = admin_api.patch(f"/api/v1/members/{owner_id}/", {"role": "viewer"}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["message"] == (
        "Only an owner can change or remove an owner."
    )
    assert admin_api.delete(f"/api/v1/members/{owner_id}/").status_code == 403
    assert admin_api.patch(f"/api/v1/members/{dev_id}/", {"role": "owner"}, format="json").status_code == 403
    changed = admin_api.patch(f"/api/v1/members/{dev_id}/", {"role": "viewer"}, format="json")
    assert changed.status_code == 200 and changed.json()["role"] == "viewer"

    owner_api = client_for(owner_a)
    last = owner_api.patch(f"/api/v1/members/{owner_id}/", {"role": "admin"}, format="json")
    assert last.status_code == 409 and last.json()["error"]["code"] == "last_owner"
    assert owner_api.delete(f"/api/v1/members/{owner_id}/").status_code == 409
    assert _role(owner_a, org_a) == Role.OWNER
    bad = owner_api.patch(f"/api/v1/members/{dev_id}/", {"role": "emperor"}, format="json")
    assert bad.status_code == 400 and "role" in bad.json()["error"]["fields"]
    assert owner_api.delete(f"/api/v1/members/{dev_id}/").status_code == 204
    assert not Membership.objects.filter(pk=dev_id).exists()


def test_another_organizations_member_is_not_found(client_for, owner_a, owner_b, org_b):
    theirs = Membership.objects.get(user=owner_b, organization=org_b).pk
    api = client_for(owner_a)
    assert api.patch(f"/api/v1/members/{theirs}/", {"role": "viewer"}, format="json").status_code == 404
    assert api.delete(f"/api/v1/members/{theirs}/").status_code == 404


# --- Password reset ------------------------------------------------------------------------------------


def test_password_reset_by_mailed_link(client, owner_a):
    response = client.post("/password-reset/", {"email": "owner_a@example.com"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    (message,) = mail.outbox
    assert message.to == ["owner_a@example.com"] and "owner_a" in message.body
    confirm = client.get(_path(_link(message)), follow=True)
    assert "Choose a new password" in confirm.content.decode()
    done = client.post(
        confirm.redirect_chain[-1][0], {"new_password1": "Brand-New-Harbor-77", "new_password2": "Brand-New-Harbor-77"}
    )
    assert done["Location"] == "/password-reset/done/"
    owner_a.refresh_from_db()
    assert owner_a.check_password("Brand-New-Harbor-77")
    # The link works once.
    again = client.get(_path(_link(message)), follow=True)
    assert "This reset link doesn't work" in again.content.decode()


def test_password_reset_answers_the_same_for_unknown_addresses_and_is_limited(client, settings, owner_a):
    response = client.post("/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []
    settings.PASSWORD_RESET_REQUESTS_PER_HOUR = 2
    cache.clear()
    for _ in range(2):
        assert client.post("/password-reset/", {"email": "owner_a@example.com"}).status_code == 302
    refused = client.post("/password-reset/", {"email": "owner_a@example.com"})
    assert refused.status_code == 429 and len(mail.outbox) == 2


# --- The organization switcher ---------------------------------------------------------------------------


def test_the_switcher_scopes_pages_and_the_api_to_the_chosen_organization(client, owner_a, org_b, owner_b):
    actions.add_member(org_b, owner_a, Role.ADMIN)
    actions.create_api_key(Organization.objects.get(name="Acme Apparel"), "acme key")
    actions.create_api_key(org_b, "bolt key")
    client.force_login(owner_a)
    page = client.get("/settings/api-keys/").content.decode()
    assert "acme key" in page and "bolt key" not in page
    assert 'id="org-select"' in page

    response = client.post("/org/switch/", {"organization": org_b.pk, "next": "/settings/api-keys/"})
    assert response["Location"] == "/settings/api-keys/"
    page = client.get("/settings/api-keys/").content.decode()
    assert "bolt key" in page and "acme key" not in page
    names = [k["name"] for k in client.get("/api/v1/api-keys/").json()["results"]]
    assert names == ["bolt key"]
    assert client.get("/api/v1/members/").json()["results"][0]["username"] in {"owner_a", "owner_b"}
    assert {m["username"] for m in client.get("/api/v1/members/").json()["results"]} == {"owner_a", "owner_b"}
    assert ApiKey.objects.count() == 2


def test_the_switcher_refuses_foreign_organizations_and_outside_redirects(client, owner_a, org_b):
    client.force_login(owner_a)
    assert client.post("/org/switch/", {"organization": org_b.pk}).status_code == 404
    assert client.post("/org/switch/", {"organization": "x"}).status_code == 404
    own = Membership.objects.get(user=owner_a).organization_id
    response = client.post("/org/switch/", {"organization": own, "next": "https://evil.example.com/"})
    assert response["Location"] == "/"
    response = client.post("/org/switch/", {"organization": own, "next": "//evil.example.com/"})
    assert response["Location"] == "/"


# --- No organization, the demo label ---------------------------------------------------------------------


def test_a_person_without_an_organization_is_told_what_to_do(client, django_user_model):
    loner = django_user_model.objects.create_user("loner", email="loner@example.com", password=PASSWORD)
    client.force_login(loner)
    for path in ("/", "/setup/", "/settings/members/", "/connections/", "/workflows/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/welcome/", path
    page = client.get("/welcome/").content.decode()
    assert "You don't belong to an organization yet" in page
    assert 'href="/organizations/new/"' in page and "loner@example.com" in page
    api = client.get("/api/v1/connections/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "permission_denied"


def test_a_member_lacking_a_role_gets_the_reason_not_a_bare_refusal(client, viewer_a):
    client.force_login(viewer_a)
    response = client.post("/settings/api-keys/", {"name": "x", "role": "viewer"})
    assert response.status_code == 403
    assert "needs the admin role" in response.content.decode() and "Members" in response.content.decode()


def test_the_demo_organization_is_labelled_and_its_slug_is_reserved(client, owner_a, org_a, django_user_model):
    client.force_login(owner_a)
    assert 'class="badge demo"' not in client.get("/").content.decode()
    demo = actions.create_organization("Demo Merchant", demo=True)
    assert demo.slug == "demo" and demo.is_demo
    actions.add_member(demo, owner_a, Role.VIEWER)
    client.post("/org/switch/", {"organization": demo.pk})
    assert 'class="badge demo"' in client.get("/").content.decode()
    # Someone naming their organization "Demo" neither gets the demo's slug nor its label.
    theirs = actions.create_organization("Demo")
    assert theirs.slug != "demo" and not theirs.is_demo


def test_people_pages_are_under_the_content_security_policy_without_inline_script(client, owner_a):
    client.force_login(owner_a)
    _invite(client, "csp@example.com")
    invite_path = _path(_link(mail.outbox[0]))
    client.logout()
    for path in ("/signup/", "/password-reset/", invite_path, "/login/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response["Content-Security-Policy"], path
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.content.decode()), path


def test_the_admin_applies_the_same_owner_rule(client, owner_a, admin_a, org_a):
    from ekyam.models import Membership as M

    # An operator (superuser) acts as an owner in the admin, and the last-owner rule holds for them too.
    owner_a.is_staff = owner_a.is_superuser = True
    owner_a.save(update_fields=["is_staff", "is_superuser"])
    own = M.objects.get(user=owner_a, organization=org_a)
    client.force_login(owner_a)
    form = {"role": "admin", "created_at_0": "2026-01-01", "created_at_1": "10:00:00"}
    response = client.post(f"/admin/ekyam/membership/{own.pk}/change/", form)
    assert response.status_code == 403 and "last owner" in response.content.decode()
    deleted = client.post(f"/admin/ekyam/membership/{own.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert _role(owner_a, org_a) == Role.OWNER
    # People join by invitation, not by a membership typed into the admin.
    assert client.get("/admin/ekyam/membership/add/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_refusal_is_reported_not_hidden(client, settings, owner_a):
    from ekyam.embedded import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    client.force_login(owner_a)
    page = client.post("/settings/members/", {"email": "lost@example.com", "role": "viewer"}, follow=True)
    text = page.content.decode()
    assert "could not be sent" in text and "Invitation sent" not in text
    assert Invitation.objects.get().email == "lost@example.com"
