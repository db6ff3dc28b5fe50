"""The webhook consumer service: Kafka events → stored messages/deliveries → offsets → attempts.

One subscriber of the bus's consumer loop (`ekyam.events.consumer`): a batch of events becomes
messages and claimed deliveries (`fanout.store`); after the offsets are committed the deliveries go to
the dispatcher. Stored-but-unsent deliveries of a killed process are retried when their lease expires.
"""

from __future__ import annotations

from ekyam.events import consumer, kafka
from webhooks import fanout
from webhooks.dispatcher import Dispatcher
from webhooks.dlq import dlq_topic

DEFAULT_GROUP = "ekyam-webhooks"


def run(group_id: str = DEFAULT_GROUP, batch_size: int = 500, stop=None) -> None:
    stop = stop or consumer.stop_on_signals()
    # A submit waiting for room in the dispatcher watches `stop` too, and gives its jobs back.
    dispatcher = Dispatcher(should_stop=stop).start()
    try:
        consumer.run(
            "webhook consumer",
            group_id,
            fanout.store_and_confirm,
            after_commit=dispatcher.submit,
            batch_size=batch_size,
            # `consume` waits this long to fill a batch: short, so a trickle of events is not held
            # back (under load batches fill at once anyway).
            poll_timeout=0.1,
            extra_topics=(dlq_topic(),),
            stop=stop,
        )
    finally:
        dispatcher.stop()
        kafka.flush_shared_producer()  # dead letters published in the background
