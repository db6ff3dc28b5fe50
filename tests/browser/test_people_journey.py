"""In Chromium: a person signs up with their own organization, invites a second person from the members
page, and the second person accepts through the link in the mail (captured by Django's test mail
outbox, as the console prints it under `make run`) and sees the same organization."""

import re

import pytest
from django.core import mail

from ekyam.models import Invitation, Membership, Role
from tests.browser.conftest import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Juniper-Lantern-5930"


def test_sign_up_invite_and_accept_through_the_mailed_link(live_portal, new_page):
    mail.outbox.clear()
    first = new_page()
    sign_up(first, live_portal.url, "riya", PASSWORD, "Riya's Rugs", new_page.shot)
    assert first.locator(".org-name").inner_text() == "Riya's Rugs"
    assert first.locator(".badge.demo").count() == 0
    new_page.shot(first, "wizard-step-1")

    first.get_by_role("link", name="Members").click()
    first.get_by_label("E-mail address").fill("sam@example.com")
    first.get_by_label("Role", exact=True).select_option("developer")
    first.get_by_role("button", name="Send invitation").click()
    first.get_by_text("Invitation sent to sam@example.com").wait_for()
    new_page.shot(first, "invited")

    (message,) = mail.outbox
    assert message.to == ["sam@example.com"]
    link = re.search(r"http://\S+/invite/\S+/", message.body).group(0)

    second = new_page()
    second.goto(link)
    assert "Join Riya's Rugs" in second.inner_text("main h1")
    second.get_by_label("Username").fill("sam")
    second.get_by_label("Password", exact=True).fill(PASSWORD)
    second.get_by_label("Password confirmation").fill(PASSWORD)
    new_page.shot(second, "accept")
    second.get_by_role("button", name="Create account and join").click()
    second.wait_for_url(re.compile(r".*/$"))
    assert second.inner_text("main h1") == "Riya's Rugs"
    assert "You are now a member of Riya's Rugs." in second.inner_text(".messages")
    new_page.shot(second, "joined")

    membership = Membership.objects.get(user__username="sam")
    assert membership.organization.name == "Riya's Rugs" and membership.role == Role.DEVELOPER
    assert Invitation.objects.get().status == "accepted"

    first.reload()
    members = first.locator("main table").first.inner_text()
    assert "sam" in members and "Developer" in members
    assert "Accepted" in first.locator("main").inner_text()
    new_page.shot(first, "members")

    # The link worked once.
    second.goto(link)
    assert "already been used" in second.inner_text("main")
