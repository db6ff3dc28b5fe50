"""Health: readiness checks of each dependency (database, Celery broker, Kafka when configured) and the
`/healthz`, `/readyz` and `/metrics` endpoints."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

CHECK_TIMEOUT = 2.0


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check()
        result = {"status": "ok"}
        if detail:
            result["detail"] = detail
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported by name
        result = {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def check_broker():
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "no broker configured: tasks run inline"
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=CHECK_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT)
    return None


def check_kafka():
    from confluent_kafka.admin import AdminClient

    client = AdminClient(
        {"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS, "socket.timeout.ms": int(CHECK_TIMEOUT * 1000)}
    )
    metadata = client.list_topics(timeout=CHECK_TIMEOUT)
    return f"{len(metadata.brokers)} broker(s)"


def readiness() -> tuple[bool, dict]:
    checks = {"database": _timed(check_database), "broker": _timed(check_broker)}
    if settings.KAFKA_BOOTSTRAP_SERVERS:
        checks["kafka"] = _timed(check_kafka)
    ready = all(c["status"] == "ok" for c in checks.values())
    return ready, checks


# --- the endpoints (`/healthz`, `/readyz`, `/metrics`) ---------------------------------------------


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    ready, checks = readiness()
    return JsonResponse({"status": "ok" if ready else "error", "checks": checks}, status=200 if ready else 503)


@never_cache
def metrics(request):
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
