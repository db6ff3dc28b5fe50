"""The event bus of the core: every app tells the others something only through it.

- `outbox.emit` writes an `OutboxEvent` row in the caller's transaction (state + event commit together);
- `relay` publishes committed rows to Kafka, keyed per organization and entity;
- `consumer.run` is the one consumer loop: each subscriber (the webhook consumer, the workflow trigger
  consumer) gives it a group id and a function that stores a batch of decoded events;
- `catalog` is the registry of event types, which each app declares in its `event_types.py`.
"""
