"""Traces across the bus's hops (OpenTelemetry): off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.

One trace follows a change to the webhooks it causes, across every process on the way:

    workflow.run (the change, when a run emits)
      └ emit <type>                  web or worker: the outbox row keeps this span's traceparent
          └ publish <topic>          relay: sent as the Kafka message's `traceparent` header
              └ process <topic>      webhook consumer: stored with the message (retries find it there)
                  └ POST             one per attempt; its traceparent goes to the endpoint

A hop's context crosses the process boundary as a W3C `traceparent` string in a row (outbox event,
webhook message), the event envelope and the Kafka headers, so any process can continue the trace.
A process with tracing off passes a context it receives on unchanged and adds none of its own; with
nothing emitted traced, rows carry "" and no header is sent. Off, every function here returns after
one global read: the delivery path pays nothing for it.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager

from ekyam.events import conf

log = logging.getLogger("ekyam.events.tracing")

_tracer = None  # the tracer of `configure`; None while tracing is off
_provider = None


def enabled() -> bool:
    return _tracer is not None


def configure(exporter, *, batch: bool = True, service_name: str | None = None):
    """Turn tracing on in this process, exporting finished spans to `exporter` (batched in a
    background thread, or one by one when not `batch`: tests read them at once). Returns the
    provider (its `shutdown` flushes)."""
    global _tracer, _provider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    shutdown()
    resource = Resource.create({"service.name": service_name or conf.get("OTEL_SERVICE_NAME")})
    # Ours, not the global provider: the global one can be set once per process, and the bus is
    # the only instrumented code.
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
    _provider, _tracer = provider, provider.get_tracer("ekyam.events")
    return provider


def configure_from_env() -> bool:
    """At start-up: export over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-only
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. Returns whether tracing is on."""
    url = traces_url()
    if not url:
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    # The exporter's own transport: the collector is the operator's (often on a private address,
    # which the hardened client refuses by design), and the exporter has its own timeout and retries.
    configure(OTLPSpanExporter(endpoint=url))
    log.info("exporting traces to %s", url)
    return True


def traces_url() -> str:
    """Where spans are sent: the traces endpoint as given, or `/v1/traces` under the base endpoint
    (the OTLP/HTTP convention)."""
    explicit = conf.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if explicit:
        return explicit
    base = conf.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    return f"{base.rstrip('/')}/v1/traces" if base else ""


def shutdown() -> None:
    """Flush and turn tracing off (tests; the provider also flushes at interpreter exit)."""
    global _tracer, _provider
    if _provider is not None:
        _provider.shutdown()
    _tracer = _provider = None


# --- contexts as strings ----------------------------------------------------------------------


def traceparent_of(span) -> str:
    """The W3C traceparent of a span: version 00, trace id, span id, flags."""
    ctx = span.get_span_context()
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def context_of(traceparent: str):
    """The OpenTelemetry context of a traceparent string (None when it is not a valid one)."""
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context

    try:
        version, trace_id, span_id, flags = traceparent.split("-")
        if version != "00" or len(trace_id) != 32 or len(span_id) != 16 or len(flags) != 2:
            return None
        context = SpanContext(int(trace_id, 16), int(span_id, 16), True, TraceFlags(int(flags, 16)))
    except (AttributeError, ValueError):
        return None
    if not context.is_valid:
        return None
    return set_span_in_context(NonRecordingSpan(context))


# --- spans ------------------------------------------------------------------------------------


@contextmanager
def span(name: str, attributes: dict | None = None):
    """A span around a change (e.g. a workflow run): events emitted inside it join its trace."""
    if _tracer is None:
        yield None
        return
    with _tracer.start_as_current_span(name, attributes=attributes) as current:
        yield current


def emit_context(event_type: str, *, organization_id, key: str) -> str:
    """The traceparent to store with an outbox row ("" when off): an `emit` span, a child of the
    current span (a workflow run) or the root of a trace of its own (e.g. an inbound vendor webhook)."""
    if _tracer is None:
        return ""
    from opentelemetry.trace import SpanKind

    attributes = {"ekyam.event.type": event_type, "ekyam.event.key": key, "ekyam.organization.id": organization_id}
    with _tracer.start_as_current_span(f"emit {event_type}", kind=SpanKind.PRODUCER, attributes=attributes) as s:
        return traceparent_of(s)


def start(name: str, parent: str, kind: str, attributes: dict | None = None, start_time: float | None = None):
    """A span continuing `parent` (a traceparent), or None when tracing is off or there is no
    valid parent. `kind` names an OpenTelemetry SpanKind ("PRODUCER", "CONSUMER", "CLIENT");
    `start_time` is in seconds since the epoch (default now). End it with `finish`."""
    if _tracer is None or not parent:
        return None
    context = context_of(parent)
    if context is None:
        return None
    from opentelemetry.trace import SpanKind

    return _tracer.start_span(
        name,
        context=context,
        kind=SpanKind[kind],
        attributes=attributes,
        start_time=int(start_time * 1e9) if start_time else None,
    )


def finish(span, *, error: str = "", attributes: dict | None = None) -> None:
    if span is None:
        return
    if attributes:
        span.set_attributes({k: v for k, v in attributes.items() if v is not None})
    if error:
        from opentelemetry.trace import Status, StatusCode

        span.set_status(Status(StatusCode.ERROR, error[:200]))
    span.end()


def hop(name: str, parent: str, kind: str, attributes: dict | None = None, start_time: float | None = None) -> str:
    """Record a hop that has already happened (from `start_time` to now) and return the traceparent
    to pass on: the hop's own, or `parent` unchanged when tracing is off here."""
    if _tracer is None or not parent:
        return parent
    hop_span = start(name, parent, kind, attributes, start_time=min(start_time, time.time()) if start_time else None)
    if hop_span is None:
        return ""  # an invalid context is not passed on
    hop_span.end()
    return traceparent_of(hop_span)
