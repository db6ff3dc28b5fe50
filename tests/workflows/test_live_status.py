"""Live status over Channels: pushed after commit, authenticated, and scoped to the organization."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from workflows import actions
from workflows.routing import websocket_urlpatterns

application = URLRouter(websocket_urlpatterns)


def communicator_for(user, workflow_id):
    communicator = WebsocketCommunicator(application, f"/ws/workflows/{workflow_id}/")
    communicator.scope["user"] = user
    communicator.scope["session"] = {}
    return communicator


@pytest.mark.django_db(transaction=True)
def test_member_receives_status_changes_after_commit(owner_a, workflow):
    async def scenario():
        communicator = communicator_for(owner_a, workflow.pk)
        connected, _ = await communicator.connect()
        assert connected
        first = await communicator.receive_json_from(timeout=5)
        assert first["type"] == "status" and first["data"]["workflow_id"] == workflow.pk
        assert first["data"]["state"] == "on", first["data"]["reason"]

        await database_sync_to_async(actions.pause_workflow)(workflow, reason="Paused for maintenance.")
        update = await communicator.receive_json_from(timeout=5)
        assert (update["data"]["state"], update["data"]["reason"]) == ("off", "Paused for maintenance.")
        assert update["data"]["nodes"]["source"]["state"] == "off"

        await communicator.send_json_to({"type": "refresh"})
        again = await communicator.receive_json_from(timeout=5)
        assert again["data"]["state"] == "off"
        await communicator.disconnect()

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_other_organizations_and_anonymous_users_cannot_subscribe(owner_b, workflow):
    async def scenario():
        other = communicator_for(owner_b, workflow.pk)
        connected, code = await other.connect()
        assert not connected and code == 4404

        anonymous = communicator_for(AnonymousUser(), workflow.pk)
        connected, code = await anonymous.connect()
        assert not connected and code == 4401

    async_to_sync(scenario)()


def pushed_during_a_run(user, workflow) -> tuple[int, list[dict]]:
    """Subscribe as `user`, run the workflow once; the run's id and every status pushed after the first,
    up to the one showing the run succeeded."""
    from workflows import engine

    async def scenario():
        communicator = communicator_for(user, workflow.pk)
        await communicator.connect()
        await communicator.receive_json_from(timeout=5)
        run = await database_sync_to_async(actions.request_run)(workflow)
        await database_sync_to_async(engine.execute_run)(run.pk)
        seen = []
        while True:
            data = (await communicator.receive_json_from(timeout=5))["data"]
            seen.append(data)
            if data["recent_runs"] and data["recent_runs"][0]["status"] == "succeeded":
                break
        await communicator.disconnect()
        return run.pk, seen

    return async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_run_progress_is_pushed(owner_a, workflow):
    _run_id, seen = pushed_during_a_run(owner_a, workflow)
    written = [d["current_run"]["written"] for d in seen if d["current_run"]]
    assert any(0 < w < 25 for w in written), written  # progress between batches, not only the end
    assert seen[-1]["recent_runs"][0]["written"] == 25


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["membership_removed", "user_deactivated"])
def test_the_socket_closes_when_access_goes(how, owner_a, org_a, workflow, make_member):
    from ekyam.models import Membership, Role

    bystander = make_member(org_a, "bystander", Role.VIEWER)

    def revoke(user):
        if how == "membership_removed":
            Membership.objects.filter(user=user, organization=org_a).delete()
        else:
            user.is_active = False
            user.save(update_fields=["is_active"])

    async def scenario():
        leaving = communicator_for(owner_a, workflow.pk)
        staying = communicator_for(bystander, workflow.pk)
        for communicator in (leaving, staying):
            connected, _ = await communicator.connect()
            assert connected
            await communicator.receive_json_from(timeout=5)

        await database_sync_to_async(revoke)(owner_a)
        closed = await leaving.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": 4403}

        # Others keep streaming.
        await database_sync_to_async(actions.pause_workflow)(workflow, reason="Paused after the change.")
        update = await staying.receive_json_from(timeout=5)
        assert update["data"]["reason"] == "Paused after the change."
        await staying.disconnect()

        # And the removed user cannot subscribe again.
        again = communicator_for(owner_a, workflow.pk)
        connected, code = await again.connect()
        assert not connected and code == 4404

    async_to_sync(scenario)()
