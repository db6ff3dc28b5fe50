"""Traces across the bus's hops: one trace from the change to every webhook attempt, over the real
broker, and nothing at all while tracing is off (the default)."""

from __future__ import annotations

import gzip
import json
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone

from bench.common import wait_for
from ekyam.embedded import ServerThread
from ekyam.events import kafka, tracing
from ekyam.events.models import OutboxEvent
from ekyam.events.outbox import emit
from ekyam.events.relay import relay_once
from tests.servers import ScriptedServer
from tests.webhooks.conftest import ConsumerProcess, child_env
from tests.webhooks.deliveries import delivery_for, job_for
from webhooks import actions
from webhooks import consumer as webhook_consumer
from webhooks.delivery import Job, _signed_headers
from webhooks.dispatcher import Dispatcher
from webhooks.models import Delivery, Message
from webhooks.secrets import new_secrets_token

pytestmark = [pytest.mark.kafka, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def spans():
    """Tracing on in this process, finished spans kept in memory."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    tracing.configure(exporter, batch=False)
    yield exporter
    tracing.shutdown()


def _hex(span_context) -> tuple[str, str]:
    return f"{span_context.trace_id:032x}", f"{span_context.span_id:016x}"


def _header(span_context) -> str:
    """The W3C traceparent of a span context, written out here (not by the code under test)."""
    trace_id, span_id = _hex(span_context)
    return f"00-{trace_id}-{span_id}-{int(span_context.trace_flags):02x}"


def _raw_messages(topic: str, count: int) -> list:
    """The first `count` messages of the topic, read without a consumer group."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    reader = Consumer(kafka.consumer_config(f"raw-{uuid.uuid4().hex[:6]}"))
    try:
        partitions = reader.list_topics(topic, timeout=10).topics[topic].partitions
        reader.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        messages: list = []
        wait_for(
            lambda: (
                messages.extend(m for m in reader.consume(10, timeout=0.2) if not m.error()) or len(messages) >= count
            ),
            30,
            what="the published messages",
        )
        return messages
    finally:
        reader.close()


def _run_consumer_until(predicate, group: str) -> None:
    """The webhook consumer (dispatcher included) in this process until `predicate()`."""
    stop = threading.Event()
    thread = threading.Thread(
        target=webhook_consumer.run, kwargs={"group_id": group, "batch_size": 50, "stop": stop.is_set}, daemon=True
    )
    thread.start()
    try:
        wait_for(predicate, 90, what="the deliveries")
    finally:
        stop.set()
        thread.join(60)


def test_one_trace_from_the_run_through_outbox_kafka_and_consumer_to_every_attempt(
    org_a, kafka_broker, producer, settings, spans
):
    settings.KAFKA_TOPIC_PREFIX = f"trace{uuid.uuid4().hex[:6]}"
    topic = kafka.events_topic()
    kafka.ensure_topics()
    with ScriptedServer() as receiver:
        actions.create_endpoint(org_a, url=receiver.url + "/hook", event_types=["shipment.synced"])
        with tracing.span("workflow.run", {"ekyam.run.id": 1}) as run_span, transaction.atomic():
            emit(org_a, "shipment.synced", {"key": "s:1", "record": {"n": 1}}, key="shipment:1")
        trace_id, run_span_id = _hex(run_span.get_span_context())

        # Hop 1: the outbox row keeps the emit span's context.
        emitted = next(s for s in spans.get_finished_spans() if s.name == "emit shipment.synced")
        assert emitted.parent.span_id == run_span.get_span_context().span_id
        assert OutboxEvent.objects.get().trace_context == _header(emitted.context)

        # Hop 2: the relay's publish span goes out in the Kafka header and the envelope.
        assert relay_once(producer) == 1
        published = next(s for s in spans.get_finished_spans() if s.name == f"publish {topic}")
        assert published.parent.span_id == emitted.context.span_id
        (message,) = _raw_messages(topic, 1)
        publish_context = _header(published.context)
        assert dict(message.headers()) == {"traceparent": publish_context.encode()}
        assert json.loads(message.value())["traceparent"] == publish_context

        # Hops 3 and 4: the consumer stores the message under its process span; the attempt is a
        # client span whose context the endpoint receives.
        _run_consumer_until(
            lambda: Delivery.objects.filter(status="succeeded").exists(), f"{settings.KAFKA_TOPIC_PREFIX}-webhooks"
        )
        assert len(receiver.requests) == 1

    finished = spans.get_finished_spans()
    processed = next(s for s in finished if s.name == f"process {topic}")
    assert processed.parent.span_id == published.context.span_id
    assert Message.objects.get().trace_context == _header(processed.context)
    (post,) = (s for s in finished if s.name == "POST")
    assert post.attributes["http.response.status_code"] == 200 and post.status.is_ok
    assert post.parent.span_id == processed.context.span_id
    assert receiver.requests[0]["headers"]["traceparent"] == _header(post.context)
    # One trace id from the run to the last attempt.
    assert {_hex(s.context)[0] for s in finished} == {trace_id}
    assert {s.name for s in finished} == {
        "workflow.run",
        "emit shipment.synced",
        f"publish {topic}",
        f"process {topic}",
        "POST",
    }
    assert run_span_id == _hex(next(s for s in finished if s.name == "workflow.run").context)[1]


def test_a_scheduled_retry_continues_the_messages_trace(org_a, spans):
    # A retry is claimed from the database (not handed over by the consumer that stored the message):
    # its context comes from the stored message, and a failed attempt's span says so.
    message_context = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with ScriptedServer() as receiver:
        receiver.script = [(500, {}, b"boom", 0)]
        endpoint, _ = actions.create_endpoint(org_a, url=receiver.url + "/hook")
        # Due far ahead: only this test's dispatcher attempts it.
        message, delivery = delivery_for(org_a, endpoint, next_attempt_at=timezone.now() + timedelta(hours=1))
        Message.objects.filter(pk=message.pk).update(trace_context=message_context)
        Delivery.objects.filter(pk=delivery.pk).update(attempt_count=1, status="retrying")
        dispatcher = Dispatcher(concurrency=2).start(scheduler=False)
        try:
            dispatcher.submit([job_for(endpoint, message, delivery, claim_token="retry")])
        finally:
            dispatcher.stop()
    (post,) = spans.get_finished_spans()
    trace_id, span_id = _hex(post.context)
    assert (trace_id, f"{post.parent.span_id:016x}") == ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
    assert post.attributes["ekyam.attempt.number"] == 2 and post.attributes["http.response.status_code"] == 500
    assert not post.status.is_ok
    assert receiver.requests[0]["headers"]["traceparent"] == _header(post.context)


class _Collector(ServerThread):
    """An OTLP/HTTP traces receiver on loopback: decodes each export request into its spans."""

    def __init__(self):
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        self.spans: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request = ExportTraceServiceRequest.FromString(body)
                for resource_spans in request.resource_spans:
                    service = next(
                        a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"
                    )
                    for scope_spans in resource_spans.scope_spans:
                        for span in scope_spans.spans:
                            owner.spans.append(
                                {
                                    "service": service,
                                    "name": span.name,
                                    "trace_id": span.trace_id.hex(),
                                    "span_id": span.span_id.hex(),
                                    "parent_span_id": span.parent_span_id.hex(),
                                }
                            )
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(ThreadingHTTPServer(("127.0.0.1", 0), Handler))


def test_the_trace_crosses_into_a_consumer_process_that_exports_over_otlp(
    org_a, kafka_broker, producer, settings, spans
):
    prefix = f"otlp{uuid.uuid4().hex[:6]}"
    settings.KAFKA_TOPIC_PREFIX = prefix
    with _Collector() as collector, ScriptedServer() as receiver:
        env = child_env(
            kafka_broker,
            prefix,
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.url,
            OTEL_SERVICE_NAME="ekyam-webhooks",
            OTEL_BSP_SCHEDULE_DELAY="100",
        )
        consumer = ConsumerProcess(env, group=f"{prefix}-webhooks")
        try:
            consumer.wait_assigned()
            actions.create_endpoint(org_a, url=receiver.url + "/hook", event_types=["shipment.synced"])
            with transaction.atomic():
                emit(org_a, "shipment.synced", {"key": "s:2", "record": {}}, key="shipment:2")  # a root emit span
            relay_once(producer)
            wait_for(lambda: len(receiver.requests) == 1, 60, what="the delivery")
            wait_for(
                lambda: {"POST", f"process {prefix}.events"} <= {s["name"] for s in collector.spans},
                30,
                what="the consumer's spans",
            )
        finally:
            consumer.stop()
    published = next(s for s in spans.get_finished_spans() if s.name == f"publish {prefix}.events")
    trace_id, publish_span_id = _hex(published.context)
    exported = {s["name"]: s for s in collector.spans}
    assert {s["service"] for s in collector.spans} == {"ekyam-webhooks"}
    assert {s["trace_id"] for s in collector.spans} == {trace_id}
    assert exported[f"process {prefix}.events"]["parent_span_id"] == publish_span_id
    assert exported["POST"]["parent_span_id"] == exported[f"process {prefix}.events"]["span_id"]
    assert receiver.requests[0]["headers"]["traceparent"].split("-")[1:3] == [trace_id, exported["POST"]["span_id"]]


def test_off_by_default_no_context_no_kafka_header_no_webhook_header(org_a, on_shared_topics, producer):
    assert not tracing.enabled()
    with ScriptedServer() as receiver:
        actions.create_endpoint(org_a, url=receiver.url + "/hook", event_types=["shipment.synced"])
        with tracing.span("workflow.run") as nothing, transaction.atomic():
            emit(org_a, "shipment.synced", {"key": "s:3", "record": {}}, key="shipment:3")
        assert nothing is None
        assert OutboxEvent.objects.get().trace_context == ""
        relay_once(producer)
        wait_for(lambda: receiver.requests, 60, what="the delivery")
        assert "traceparent" not in {name.lower() for name in receiver.requests[0]["headers"]}
    assert Message.objects.get().trace_context == ""


def test_off_in_one_process_passes_a_received_context_on_unchanged():
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert not tracing.enabled()
    assert tracing.hop("process ekyam.events", parent, "CONSUMER") == parent
    assert tracing.start("POST", parent, "CLIENT") is None


def test_a_context_that_is_no_traceparent_is_not_continued(spans):
    for bad in ("", "garbage", "00-00000000000000000000000000000000-b7ad6b7169203331-01", "01-0af7-b7ad-01"):
        assert tracing.context_of(bad) is None
        assert tracing.hop("process ekyam.events", bad, "CONSUMER") == ""
    assert spans.get_finished_spans() == ()


def test_the_attempts_traceparent_replaces_one_in_the_endpoints_custom_headers():
    job = Job(
        delivery_id=1,
        organization_id=1,
        endpoint_id=1,
        url="http://127.0.0.1/hook",
        secrets_token=new_secrets_token()[1],
        custom_headers={"TraceParent": "00-forged", "X-Team": "ops"},
        webhook_id="msg_1",
        body=b"{}",
        number=1,
        schedule_index=0,
        claim_token="t",
    )
    context = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    headers = _signed_headers(job, require_https=False, traceparent=context)
    assert [v for k, v in headers.items() if k.lower() == "traceparent"] == [context]
    assert headers["X-Team"] == "ops"
    untraced = _signed_headers(job, require_https=False)
    assert untraced["TraceParent"] == "00-forged"  # an endpoint's own header, sent as configured
