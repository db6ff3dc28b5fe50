"""Setup wizard, steps 1 and 2: pick a connector, enter its keys and check them against the vendor.

Thin: the forms read what the user typed, `connectors.actions` creates, updates and checks the
connection, and the page shows the result recorded on the connection row.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from connectors import lifecycle
from connectors.cards import connector_card
from connectors.mapping.completeness import mapping_state
from connectors.models import Connection, ConnectionStatus
from connectors.registry import all_connectors, get_connector
from connectors.sandboxes import offered_sandbox_credentials, sandbox_url
from ekyam.roles import WRITE_ROLE, can_edit, require_role
from ekyam.tenancy import get_scoped_or_404, scoped
from workflows.wizard import progress
from workflows.wizard.forms import CredentialForm


@login_required
def start(request):
    """Step 1 and the wizard's home: connector cards, the organization's connections and flows."""
    require_role(request)
    state = progress.derive(request.organization)
    connection_rows = [
        {"connection": c, "card": _safe_card(c), "read_streams": _read_stream_states(c)} for c in state["connections"]
    ]
    return render(
        request,
        "wizard/start.html",
        {
            "state": state,
            "steps": state["steps"],
            "cards": [connector_card(c) for c in all_connectors()],
            "connection_rows": connection_rows,
            "can_edit": can_edit(request),
        },
    )


def _safe_card(connection):
    try:
        return connector_card(connection.connector_class)
    except LookupError:
        return None


def _read_stream_states(connection) -> list[dict]:
    try:
        specs = connection.connector_class.reader_streams()
    except LookupError:
        return []
    return [{"spec": s, "state": mapping_state(connection, s.name)} for s in specs]


def _unique_name(organization, base: str) -> str:
    existing = set(scoped(Connection, organization).values_list("name", flat=True))
    name, n = base, 2
    while name in existing:
        name, n = f"{base} {n}", n + 1
    return name


@login_required
def connect(request, slug):
    """Step 2 for a new connection: the form; on submit the keys are checked against the vendor first,
    and only credentials that pass are stored. A failed check keeps what was typed (secrets are asked
    again) and shows the reason beside the field it points at."""
    require_role(request, WRITE_ROLE)
    try:
        connector_class = get_connector(slug)
    except LookupError:
        raise Http404("Unknown connector.") from None
    offer = offered_sandbox_credentials(connector_class)
    use_sandbox = bool(offer) and request.GET.get("credentials") == "sandbox" and request.method != "POST"
    base_name = f"{connector_class.name} sandbox" if use_sandbox else connector_class.name
    initial = {"name": _unique_name(request.organization, base_name), **(offer if use_sandbox else {})}
    form = CredentialForm(connector_class, request.POST or None, initial=initial, show_initial_secrets=use_sandbox)
    failure = None
    if request.method == "POST" and form.is_valid():
        connection, failure = _checked(
            form,
            lambda: lifecycle.create_checked_connection(
                request.organization,
                connector_type=slug,
                name=form.cleaned_data["name"],
                credentials=form.credentials(),
            ),
        )
        if connection is not None:
            messages.success(request, f"Check passed: {connection.name} is connected.")
            return redirect("wizard-auth", connection.pk)
    return _auth_page(request, connector_class, form, None, failure=failure, offer=offer, use_sandbox=use_sandbox)


@login_required
def auth(request, pk):
    """Step 2 for a stored connection: the form with what was typed (secrets as "•••• saved"), the last
    check's result, and "Check": changed credentials are checked first and replace the stored ones only
    when they pass; a rename alone needs no check."""
    require_role(request)
    connection = get_scoped_or_404(Connection, request.organization, pk=pk)
    connector_class = connection.connector_class
    stored = connection.get_credentials()
    stored_secrets = {name for name in connection.secret_field_names() if stored.get(name)}
    # Fields the connector does not mark secret are shown again (some, like token ids, are stored
    # encrypted all the same); secrets never are.
    shown = {f.name for f in connector_class.credential_fields if not f.secret}
    initial = {"name": connection.name, **{k: v for k, v in stored.items() if k in shown}}
    form = CredentialForm(connector_class, request.POST or None, initial=initial, stored_secrets=stored_secrets)
    failure = None
    if request.method == "POST":
        require_role(request, WRITE_ROLE)
        if form.is_valid():

            def save():
                if form.cleaned_data["name"] != connection.name:
                    lifecycle.rename_connection(connection, form.cleaned_data["name"])
                return lifecycle.change_credentials(connection, form.credentials())

            result, failure = _checked(form, save)
            if result is not None:
                messages.success(request, f"Check passed: {result.message}")
                return redirect("wizard-auth", connection.pk)
    return _auth_page(request, connector_class, form, connection, failure=failure)


def _checked(form, save):
    """Runs `save`, which checks the credentials against the vendor before storing them: its result, or None
    with the refusal shown on the form (a failed check is also returned, for the page's check panel)."""
    try:
        return save(), None
    except DjangoValidationError as exc:
        form.add_credential_errors(exc.message_dict)
        return None, None
    except lifecycle.CheckFailed as exc:
        form.add_check_failure(exc)
        return None, exc


def _auth_page(request, connector_class, form, connection, *, failure=None, offer=None, use_sandbox=False):
    verified = (
        failure is None
        and connection is not None
        and connection.status in (ConnectionStatus.VERIFIED, ConnectionStatus.OFFLINE)
    )
    return render(
        request,
        "wizard/auth.html",
        {
            "steps": progress.steps_for_page(2, request.organization),
            "card": connector_card(connector_class),
            "form": form,
            "connection": connection,
            "verified": verified,
            "has_readers": bool(connector_class.reader_streams()),
            "can_edit": can_edit(request),
            "failure": failure,
            "sandbox_offer": offer,
            "using_sandbox": use_sandbox,
            "sandbox_url": sandbox_url(connector_class.slug) if offer else "",
        },
        status=200,
    )
