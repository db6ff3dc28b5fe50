import pytest

from connectors import actions
from connectors.netsuite.connector import NetSuiteConnector
from connectors.netsuite.sandbox import app as ns
from connectors.sandbox import SandboxServer


@pytest.fixture(autouse=True)
def fast_backoff(settings):
    settings.HTTP_BACKOFF_BASE = 0.01
    settings.HTTP_BACKOFF_MAX = 0.05


@pytest.fixture
def netsuite_server():
    server = SandboxServer(NetSuiteConnector.sandbox_app(seed=42, records=20)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ns_connection(org_a, netsuite_server):
    return actions.create_connection(
        org_a,
        connector_type="netsuite",
        name="NetSuite production",
        credentials=NetSuiteConnector.sandbox_credentials(netsuite_server.url),
    )


SECRETS = [ns.CONSUMER_SECRET, ns.TOKEN_SECRET]
