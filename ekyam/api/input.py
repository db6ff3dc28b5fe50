"""What the API accepts as input: JSON bodies within documented limits, query values without NUL.

The API speaks JSON only (`JsonBodyParser` is its one parser; a form or multipart body answers 415).
A body is read up to `API_MAX_BODY_BYTES` (413 past it), nested at most `API_MAX_JSON_DEPTH` deep (400),
and refused with 400 naming the field when any key or string holds a NUL character, which PostgreSQL
stores in neither text nor JSON columns. Query values are checked the same way by
`QueryValueMiddleware` for every `/api/` path, with a length limit of `API_MAX_QUERY_VALUE_LENGTH`.
The pages (Django forms) parse their own bodies and are not touched.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser

NUL = "\x00"


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def _limit_text(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB" if size >= 1024 * 1024 else f"{size} bytes"


def read_limited(stream, limit: int) -> bytes:
    """At most `limit` bytes of the body; BodyTooLarge when there is more (never reads past limit + 1)."""
    chunks, size = [], 0
    while True:
        chunk = stream.read(min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"The request body is larger than the {_limit_text(limit)} limit.")
    return b"".join(chunks)


def problems_in(value, max_depth: int) -> tuple[str, str] | None:
    """(field path, message) for the first NUL character or nesting past `max_depth`, else None.
    Iterative, so a document nested deeper than Python's recursion limit is measured safely."""
    stack = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return path or "body", "NUL characters (\\u0000) are not allowed."
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > max_depth:
            return path or "body", f"JSON is nested deeper than {max_depth} levels."
        if isinstance(item, dict):
            for key, sub in item.items():
                sub_path = f"{path}.{key}" if path else str(key)
                if NUL in key:
                    return sub_path.replace(NUL, "\\u0000"), "NUL characters (\\u0000) are not allowed in keys."
                stack.append((sub, sub_path, depth + 1))
        else:
            stack.extend((sub, f"{path}[{index}]", depth + 1) for index, sub in enumerate(item))
    return None


def _invalid(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON.")


class JsonBodyParser(BaseParser):
    """The API's one parser: strict JSON (no NaN/Infinity) within the size, depth and NUL rules."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        if stream is None:
            return {}
        raw = read_limited(stream, settings.API_MAX_BODY_BYTES)
        if not raw.strip():
            return {}
        try:
            text = raw.decode((parser_context or {}).get("encoding") or "utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            raise exceptions.ParseError("The body is not valid UTF-8 JSON.") from exc
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError as exc:
            limit = settings.API_MAX_JSON_DEPTH
            raise _invalid("body", f"JSON is nested deeper than {limit} levels.") from exc
        except ValueError as exc:
            raise exceptions.ParseError(f"The body is not valid JSON: {exc}") from exc
        problem = problems_in(data, settings.API_MAX_JSON_DEPTH)
        if problem:
            raise _invalid(*problem)
        return data


class QueryValueMiddleware:
    """Refuses `/api/` requests whose query names or values hold a NUL or are longer than the limit,
    before any view or filter reaches the database with them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            refusal = self.refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    @staticmethod
    def refusal(request) -> JsonResponse | None:
        # Imported here: ekyam.api.errors loads DRF's views, whose settings load this module's parser.
        from ekyam.api.errors import error_body

        limit = settings.API_MAX_QUERY_VALUE_LENGTH
        for name, values in request.GET.lists():
            field = name.replace(NUL, "\\u0000")
            for value in [name, *values]:
                message = None
                if NUL in value:
                    message = "NUL characters (\\u0000) are not allowed."
                elif len(value) > limit:
                    message = f"At most {limit} characters."
                if message:
                    body = error_body("invalid", f"The request has invalid fields: {field}", {field: [message]})
                    return JsonResponse(body, status=400)
        return None
