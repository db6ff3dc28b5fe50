"""The developer portal pages: endpoints, messages with attempts, the dead-letter queue, alerts."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ekyam import handover
from ekyam.alerts.models import Alert, AlertSettings
from ekyam.events import catalog
from ekyam.models import Role
from ekyam.roles import WRITE_ROLE, can_edit, require_role
from ekyam.tenancy import get_scoped_or_404, scoped
from webhooks import actions
from webhooks.delivery import RefusedUrl, check_endpoint_url
from webhooks.forms import AlertSettingsForm, EndpointForm
from webhooks.health import endpoint_health
from webhooks.models import DeadLetter, Delivery, Endpoint, Message
from webhooks.retries import describe_schedule

# A failing message reaches the dead-letter queue about a minute after its first attempt: for trying
# the failure path out, not for production receivers (they deserve the default's patience).
QUICK_RETRY_SCHEDULE = [0, 10, 60]


def _page(request, queryset, size=50):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _form_errors(form, exc: ValidationError):
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
def endpoint_list(request):
    require_role(request, Role.VIEWER)
    form = EndpointForm(request.POST or None)
    if request.method == "POST":
        require_role(request, WRITE_ROLE)
        if form.is_valid():
            try:
                endpoint, secret = actions.create_endpoint(request.organization, **form.cleaned_data)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                handover.hand_over(request, f"webhook-secret-{endpoint.pk}", secret)
                return redirect("webhooks:endpoint-detail", endpoint.pk)
    endpoints = scoped(Endpoint, request.organization)
    return render(request, "webhooks/endpoint_list.html", {"endpoints": endpoints, "form": form})


@login_required
def endpoint_detail(request, pk):
    require_role(request, Role.VIEWER)
    endpoint = get_scoped_or_404(Endpoint, request.organization, pk=pk)
    initial = {name: getattr(endpoint, name) for name in EndpointForm.base_fields}
    initial["headers"] = endpoint.masked_headers()  # never the stored values; unchanged masks keep them
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require_role(request, WRITE_ROLE)
        if form.is_valid():
            try:
                actions.update_endpoint(endpoint, **form.cleaned_data)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, "Endpoint saved.")
                return redirect("webhooks:endpoint-detail", endpoint.pk)
    new_secret = handover.take(request, f"webhook-secret-{endpoint.pk}")
    deliveries = (
        scoped(Delivery, request.organization).filter(endpoint=endpoint).select_related("message", "endpoint")[:50]
    )
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "form": form,
            "new_secret": new_secret,
            "deliveries": deliveries,
            "health": endpoint_health(endpoint),
            "schedule": describe_schedule(endpoint.retry_schedule),
            "can_edit": can_edit(request),
            "held_count": 0 if endpoint.is_active else actions.held(endpoint).count(),
        },
    )


@login_required
@require_POST
def endpoint_action(request, pk, name):
    require_role(request, WRITE_ROLE)
    endpoint = get_scoped_or_404(Endpoint, request.organization, pk=pk)
    try:
        if name == "enable":
            try:
                check_endpoint_url(endpoint.url)
            except RefusedUrl as exc:
                raise ValidationError(str(exc)) from None
            actions.enable_endpoint(endpoint)
            messages.success(request, "Endpoint enabled; pending deliveries resume.")
        elif name == "recover":
            since = parse_datetime(request.POST.get("since", ""))
            if since is None:
                raise ValidationError("Enter the time to recover from, e.g. 2026-12-01T09:00.")
            if timezone.is_naive(since):
                since = timezone.make_aware(since)
            counts = actions.recover_endpoint(endpoint, since)
            messages.success(
                request,
                f"Recovering since {since:%Y-%m-%d %H:%M}: {counts['held']} held message(s) and "
                f"{counts['replayed']} dead letter(s) are being delivered.",
            )
        elif name == "disable":
            actions.disable_endpoint(endpoint, f"Disabled by {request.user}.")
            messages.success(request, "Endpoint disabled.")
        elif name == "reveal":
            handover.hand_over(request, f"webhook-secret-{endpoint.pk}", actions.reveal_secret(endpoint))
        elif name == "rotate":
            handover.hand_over(request, f"webhook-secret-{endpoint.pk}", actions.rotate_secret(endpoint))
            messages.success(request, "Secret rotated. The previous secret keeps signing during the overlap window.")
        elif name == "quick-retries":
            actions.update_endpoint(endpoint, retry_schedule=QUICK_RETRY_SCHEDULE)
            messages.success(request, f"Retry schedule set to {describe_schedule(QUICK_RETRY_SCHEDULE)['text']}")
        elif name == "default-retries":
            actions.update_endpoint(endpoint, retry_schedule=[])
            messages.success(request, f"Retry schedule set to the default: {describe_schedule([])['text']}")
        elif name == "test":
            actions.send_test_event(endpoint)
            messages.success(request, "Test event queued; its attempt appears below within seconds.")
        elif name == "delete":
            require_role(request, Role.ADMIN)
            endpoint.delete()
            messages.success(request, "Endpoint deleted.")
            return redirect("webhooks:endpoint-list")
        else:
            raise PermissionDenied("Unknown action.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("webhooks:endpoint-detail", endpoint.pk)


@login_required
def message_list(request):
    """The messages, newest first; `?rows=1` answers only the table rows (the page fetches them again
    whenever its WebSocket says the organization's messages changed)."""
    require_role(request, Role.VIEWER)
    queryset = scoped(Message, request.organization).prefetch_related(
        Prefetch("deliveries", queryset=Delivery.objects.select_related("endpoint").order_by("pk"))
    )
    if request.GET.get("event_type"):
        queryset = queryset.filter(event_type=request.GET["event_type"])
    page = _page(request, queryset)
    if request.GET.get("rows") == "1":
        return render(request, "webhooks/_message_rows.html", {"page": page})
    return render(
        request,
        "webhooks/message_list.html",
        {
            "page": page,
            "event_types": list(catalog.event_types()),
            "selected_type": request.GET.get("event_type", ""),
        },
    )


@login_required
def message_detail(request, pk):
    require_role(request, Role.VIEWER)
    message = get_scoped_or_404(Message, request.organization, pk=pk)
    deliveries = message.deliveries.select_related("endpoint").prefetch_related("attempts").order_by("pk")
    return render(
        request,
        "webhooks/message_detail.html",
        {
            "message": message,
            "body_json": json.dumps(message.body, indent=2, ensure_ascii=False, sort_keys=False),
            "deliveries": deliveries,
            "can_edit": can_edit(request),
        },
    )


@login_required
@require_POST
def message_resend(request, pk):
    require_role(request, WRITE_ROLE)
    message = get_scoped_or_404(Message, request.organization, pk=pk)
    try:
        queued = actions.resend_message(message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        where = ", ".join(d.endpoint.url for d in queued)
        messages.success(request, f"Resending now to {where}; the attempt appears below within seconds.")
    return redirect("webhooks:message-detail", message.pk)


@login_required
@require_POST
def delivery_retry(request, pk):
    require_role(request, WRITE_ROLE)
    delivery = get_scoped_or_404(Delivery.objects.select_related("endpoint"), request.organization, pk=pk)
    try:
        actions.retry_delivery_now(delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Retrying now to {delivery.endpoint.url}; the attempt appears within seconds.")
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("webhooks:message-detail", delivery.message_id)


def _dead_letter_filters(request, queryset):
    filters = {k: request.GET.get(k, "") for k in ("endpoint", "event_type", "since", "until", "status")}
    if filters["endpoint"].isdigit():
        queryset = queryset.filter(endpoint_id=int(filters["endpoint"]))
    if filters["event_type"]:
        queryset = queryset.filter(event_type=filters["event_type"])
    if filters["status"]:
        queryset = queryset.filter(status=filters["status"])
    for key, lookup in (("since", "created_at__gte"), ("until", "created_at__lte")):
        when = parse_datetime(filters[key]) if filters[key] else None
        if when:
            queryset = queryset.filter(**{lookup: when})
    return queryset, filters


@login_required
def dead_letter_list(request):
    require_role(request, Role.VIEWER)
    base = scoped(DeadLetter, request.organization).select_related("endpoint")
    if request.method == "POST":
        require_role(request, WRITE_ROLE)
        operation = request.POST.get("operation")
        if operation in ("replay_selected", "delete_selected"):
            chosen = base.filter(pk__in=[int(i) for i in request.POST.getlist("ids") if i.isdigit()])
            if operation == "replay_selected":
                messages.success(request, f"Replaying {actions.replay_dead_letters(chosen)} message(s).")
            else:
                messages.success(request, f"Deleted {actions.delete_dead_letters(chosen)} dead letter(s).")
        elif operation == "replay_since":
            since = parse_datetime(request.POST.get("since", ""))
            if since is None:
                messages.error(request, "Give a date and time, e.g. 2026-11-27T09:00.")
            else:
                count = actions.replay_dead_letters(base.filter(created_at__gte=since))
                messages.success(request, f"Replaying {count} message(s) that failed since {since}.")
        return redirect(request.get_full_path())
    queryset, filters = _dead_letter_filters(request, base)
    return render(
        request,
        "webhooks/dead_letter_list.html",
        {
            "page": _page(request, queryset),
            "filters": filters,
            "endpoints": scoped(Endpoint, request.organization),
            "event_types": list(catalog.event_types()),
            "statuses": DeadLetter.Status.choices,
        },
    )


@login_required
def dead_letter_detail(request, pk):
    require_role(request, Role.VIEWER)
    dead = get_scoped_or_404(DeadLetter.objects.select_related("endpoint"), request.organization, pk=pk)
    if request.method == "POST":
        require_role(request, WRITE_ROLE)
        if request.POST.get("operation") == "delete":
            actions.delete_dead_letters(DeadLetter.objects.filter(pk=dead.pk))
            messages.success(request, "Dead letter deleted.")
            return redirect("webhooks:dead-letter-list")
        if actions.replay_dead_letter(dead):
            messages.success(request, "Replaying the message now.")
        else:
            messages.error(request, "Only dead letters that are not already replaying can be replayed.")
        return redirect("webhooks:dead-letter-detail", dead.pk)
    return render(request, "webhooks/dead_letter_detail.html", {"dead": dead})


@login_required
def alert_list(request):
    require_role(request, Role.VIEWER)
    alert_settings, _ = AlertSettings.objects.get_or_create(organization=request.organization)
    form = AlertSettingsForm(request.POST or None, instance=alert_settings)
    if request.method == "POST":
        require_role(request, Role.ADMIN)
        if form.is_valid():
            url = form.cleaned_data["slack_webhook_url"]
            try:
                if url:
                    check_endpoint_url(url)
            except RefusedUrl as exc:
                form.add_error("slack_webhook_url", str(exc))
            else:
                form.save()
                messages.success(request, "Alert settings saved.")
                return redirect("webhooks:alert-list")
    alerts = scoped(Alert, request.organization)
    return render(request, "webhooks/alert_list.html", {"page": _page(request, alerts), "form": form})
