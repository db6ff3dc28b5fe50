import pytest

from ekyam import actions
from ekyam.models import ApiKey, Role
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _user(org, name, role):
    user = actions.create_user(name, f"{name}-Passw0rd!", email=f"{name}@example.com")
    actions.add_member(org, user, role)
    return user


def test_admin_creates_an_api_key_shown_once_and_other_org_sees_nothing(live_portal, new_page):
    acme = actions.create_organization("Acme Apparel")
    bolt = actions.create_organization("Bolt Bikes")
    _user(acme, "alice", Role.ADMIN)
    _user(bolt, "bob", Role.OWNER)

    page = new_page()
    login(page, live_portal.url, "alice", "alice-Passw0rd!")
    assert "Acme Apparel" in page.inner_text("main h1")
    new_page.shot(page, "home")

    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("Warehouse sync key")
    page.get_by_label("Role").select_option("developer")
    page.get_by_role("button", name="Create key").click()
    secret = page.locator("#new-key").input_value()
    assert secret.startswith("eky_")
    new_page.shot(page, "key-created")
    key = ApiKey.objects.get(name="Warehouse sync key")
    assert key.organization == acme and secret.startswith(key.prefix)

    page.reload()
    assert page.locator("#new-key").count() == 0
    assert secret not in page.content()

    other = new_page()
    login(other, live_portal.url, "bob", "bob-Passw0rd!")
    other.goto(f"{live_portal.url}/settings/api-keys/")
    assert "Warehouse sync key" not in other.content()
    new_page.shot(other, "other-org")
    key.refresh_from_db()
    assert key.revoked_at is None


def test_keyboard_only_login(live_portal, new_page):
    org = actions.create_organization("Keyboard Co")
    _user(org, "kim", Role.VIEWER)
    page = new_page()
    page.goto(f"{live_portal.url}/login/")
    # The username field has autofocus; wait until the browser has applied it.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_username'")
    page.keyboard.type("kim")
    page.keyboard.press("Tab")
    page.keyboard.type("kim-Passw0rd!")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_portal.url}/")
    assert "Keyboard Co" in page.inner_text("main h1")
