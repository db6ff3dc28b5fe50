import pytest

from connectors.models import Connection


@pytest.fixture
def connection_a(org_a):
    return Connection.objects.create(organization=org_a, connector_type="netsuite", name="NetSuite sandbox")


@pytest.fixture
def connection_b(org_b):
    return Connection.objects.create(organization=org_b, connector_type="netsuite", name="Other NetSuite")
