"""The outbox, alerts and inbound vendor webhooks moved to their own apps (the event bus and alerts into
the core, inbound webhooks into connectors): removed from this app's state only, their tables stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0004_attempt_created_brin'),
        ('events', '0001_outbox_moved_from_webhooks'),
        ('alerts', '0001_alerts_moved_from_webhooks'),
        ('connectors', '0002_inboundwebhook_moved_from_webhooks'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='alertnotification',
                    name='organization',
                ),
                migrations.RemoveField(
                    model_name='alertsettings',
                    name='organization',
                ),
                migrations.RemoveField(
                    model_name='inboundwebhook',
                    name='connection',
                ),
                migrations.RemoveField(
                    model_name='inboundwebhook',
                    name='organization',
                ),
                migrations.RemoveField(
                    model_name='outboxevent',
                    name='organization',
                ),
                migrations.DeleteModel(
                    name='Alert',
                ),
                migrations.DeleteModel(
                    name='AlertNotification',
                ),
                migrations.DeleteModel(
                    name='AlertSettings',
                ),
                migrations.DeleteModel(
                    name='InboundWebhook',
                ),
                migrations.DeleteModel(
                    name='OutboxEvent',
                ),
            ],
        ),
    ]
