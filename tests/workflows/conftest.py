"""Fixtures of the workflow tests: the fake vendor's sandboxes over loopback HTTP and a ready workflow."""

from __future__ import annotations

import pytest

from connectors.models import Connection, ConnectionStatus
from connectors.sandbox import SandboxServer
from tests.workflows import fakes
from workflows import actions, conf, lifecycle
from workflows.models import ScheduleKind


@pytest.fixture(autouse=True)
def _fast_engine(monkeypatch):
    fakes.install_fake_mappings(monkeypatch)
    monkeypatch.setattr(conf, "RETRY_BACKOFF_SECONDS", 0.01)
    monkeypatch.setattr(conf, "RETRY_BACKOFF_MAX_SECONDS", 0.05)


@pytest.fixture(autouse=True)
def countdowns(monkeypatch) -> list:
    """Runs queued again with a countdown (handed-back batches), kept here instead of sent to the broker:
    the tests play the worker (`tests.workflows.helpers.run_to_end`)."""
    queued: list = []
    real = lifecycle.queue_run

    def queue_run(run_id, countdown=None):
        if countdown is None:
            return real(run_id)
        queued.append((run_id, countdown))

    monkeypatch.setattr(lifecycle, "queue_run", queue_run)
    # With or without a broker (REDIS_URL), the engine hands batches back as it does with one.
    monkeypatch.setattr(lifecycle, "tasks_inline", lambda: False)
    return queued


@pytest.fixture
def source_sandbox():
    with SandboxServer(fakes.FakeShopApp(records=25)) as server:
        yield server


@pytest.fixture
def destination_sandbox():
    with SandboxServer(fakes.FakeShopApp(records=0)) as server:
        yield server


def make_connection(org, name, url, status=ConnectionStatus.VERIFIED):
    connection = Connection(organization=org, connector_type="fakeshop", name=name, status=status)
    connection.set_credentials({"base_url": url})
    connection.save()
    return connection


@pytest.fixture
def make_workflow(source_sandbox, destination_sandbox):
    def build(org, name="Items sync", **options):
        source = make_connection(org, f"{name} source", source_sandbox.url)
        destination = make_connection(org, f"{name} destination", destination_sandbox.url)
        options.setdefault("schedule_kind", ScheduleKind.INTERVAL)
        options.setdefault("interval_seconds", 60)
        options.setdefault("enabled", True)
        options.setdefault("page_size", 10)
        return actions.create_workflow(
            org,
            name=name,
            source_connection=source,
            source_stream="items",
            destination_connection=destination,
            destination_stream="items",
            standard="inventory_level",
            read_mapping_id=fakes.READ_MAPPING_ID,
            write_mapping_id=fakes.WRITE_MAPPING_ID,
            **options,
        )

    return build


@pytest.fixture
def workflow(org_a, make_workflow):
    return make_workflow(org_a)
