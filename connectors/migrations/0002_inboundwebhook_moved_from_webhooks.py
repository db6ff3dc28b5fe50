"""InboundWebhook moved here from the webhooks app: the table keeps its name and its rows (state only), and
its content type follows, so permissions and admin history stay attached."""


import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


MODELS = ['inboundwebhook']


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label='connectors', model=model).exists():
            ContentType.objects.filter(app_label="webhooks", model=model).update(app_label='connectors')


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label='connectors', model__in=MODELS).update(app_label="webhooks")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('webhooks', '0004_attempt_created_brin'),
        ('connectors', '0001_initial'),
        ('ekyam', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='InboundWebhook',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('vendor_event_id', models.CharField(max_length=200)),
                        ('topic', models.CharField(max_length=120)),
                        ('payload', models.JSONField()),
                        ('status', models.CharField(choices=[('received', 'Received'), ('processed', 'Processed'), ('ignored', 'Ignored'), ('failed', 'Failed')], default='received', max_length=16)),
                        ('received_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('duplicate_count', models.PositiveIntegerField(default=0)),
                        ('error', models.TextField(blank=True, default='')),
                        ('connection', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='inbound_webhooks', to='connectors.connection')),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ekyam.organization')),
                    ],
                    options={
                        'db_table': 'webhooks_inboundwebhook',
                        'ordering': ['-received_at'],
                        'constraints': [models.UniqueConstraint(fields=('connection', 'vendor_event_id'), name='inbound_webhook_dedupe')],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
