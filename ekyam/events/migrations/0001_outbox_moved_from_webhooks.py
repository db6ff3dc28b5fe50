"""The outbox moved into the core's event bus from the webhooks app: the table keeps its name and its rows (state only), and
its content type follows, so permissions and admin history stay attached."""


import django.db.models.deletion
import django.utils.timezone
import uuid
from django.db import migrations, models


MODELS = ['outboxevent']


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label='events', model=model).exists():
            ContentType.objects.filter(app_label="webhooks", model=model).update(app_label='events')


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label='events', model__in=MODELS).update(app_label="webhooks")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('webhooks', '0004_attempt_created_brin'),
        ('ekyam', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='OutboxEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('event_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('type', models.CharField(max_length=80)),
                        ('version', models.PositiveSmallIntegerField(default=1)),
                        ('key', models.CharField(help_text='Entity key for ordering, e.g. workflow:12.', max_length=200)),
                        ('payload', models.JSONField()),
                        ('occurred_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('published_at', models.DateTimeField(blank=True, db_index=True, null=True)),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ekyam.organization')),
                    ],
                    options={
                        'db_table': 'webhooks_outboxevent',
                        'ordering': ['pk'],
                        'indexes': [models.Index(fields=['type'], name='outbox_type'), models.Index(condition=models.Q(('published_at__isnull', True)), fields=['id'], name='outbox_unpublished')],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
