"""One error shape for every 4xx/5xx the API returns: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

log = logging.getLogger(__name__)


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail) -> dict:
    """DRF validation detail → {field: [messages]} with dotted paths for nested fields."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value):
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list) and value and not all(isinstance(v, (str, exceptions.ErrorDetail)) for v in value):
            for index, sub in enumerate(value):
                walk(f"{prefix}[{index}]", sub)
        else:
            messages = value if isinstance(value, list) else [value]
            out.setdefault(prefix or "non_field_errors", []).extend(str(m) for m in messages)

    walk("", detail)
    return out


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "This conflicts with an object that already exists."


def unique_fields(constraint_name: str | None) -> list[str]:
    """The fields (organization left out) of the unique constraint of that name, from the models."""
    from django.apps import apps

    for model in apps.get_models():
        for constraint in getattr(model._meta, "constraints", ()):
            if constraint.name == constraint_name and getattr(constraint, "fields", None):
                return [f for f in constraint.fields if f != "organization"]
    return []


def integrity_conflict(exc: IntegrityError) -> exceptions.APIException | None:
    """A uniqueness violation the serializers did not catch first (a race) → 409 naming the field;
    any other integrity error is still a server error."""
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(getattr(cause, "diag", None), "sqlstate", None)
    constraint = getattr(getattr(cause, "diag", None), "constraint_name", None)
    if sqlstate != "23505" and "unique" not in str(exc).lower():
        return None
    fields = unique_fields(constraint)
    if not fields:
        return Conflict()
    message = f"An object with this {' and '.join(fields)} already exists in your organization."
    conflict = Conflict(message)
    conflict.fields = {field: [message] for field in fields}
    return conflict


def api_exception_handler(exc, context):
    if isinstance(exc, IntegrityError):
        exc = integrity_conflict(exc) or exc
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)

    response = exception_handler(exc, context)
    if response is None:
        log.exception("Unhandled API error", exc_info=exc)
        return Response(
            error_body("server_error", "An unexpected error occurred. It has been logged."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        message = "The request has invalid fields: " + ", ".join(sorted(fields)) if fields else "Invalid request."
        if list(fields) == ["non_field_errors"]:
            message = fields["non_field_errors"][0]
        response.data = error_body("invalid", message, fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if isinstance(code, (dict, list)):
            code = getattr(exc, "default_code", "error")
        response.data = error_body(str(code), str(detail), getattr(exc, "fields", None))
    return response


def json_error_view(status_code: int, code: str, message: str):
    def view(request, exception=None):
        return JsonResponse(error_body(code, message), status=status_code)

    return view
