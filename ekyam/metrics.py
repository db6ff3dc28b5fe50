"""Prometheus metrics: request counters here; other apps register their own collectors."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("ekyam_http_requests_total", "HTTP requests served", ["method", "status"])
HTTP_LATENCY = Histogram("ekyam_http_request_seconds", "HTTP request latency in seconds", ["method"])


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        HTTP_LATENCY.labels(request.method).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(request.method, str(response.status_code)).inc()
        return response
