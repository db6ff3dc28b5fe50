"""Alerts moved into the core from the webhooks app: the table keeps its name and its rows (state only), and
its content type follows, so permissions and admin history stay attached."""


import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


MODELS = ['alert', 'alertsettings', 'alertnotification']


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label='alerts', model=model).exists():
            ContentType.objects.filter(app_label="webhooks", model=model).update(app_label='alerts')


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label='alerts', model__in=MODELS).update(app_label="webhooks")


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
                    name='AlertNotification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('channel', models.CharField(choices=[('email', 'E-mail'), ('slack', 'Slack')], max_length=8)),
                        ('status', models.CharField(choices=[('sent', 'Sent'), ('failed', 'Failed'), ('skipped', 'Skipped')], max_length=8)),
                        ('alert_count', models.PositiveIntegerField()),
                        ('recipients', models.PositiveIntegerField(default=0)),
                        ('error', models.CharField(blank=True, default='', max_length=500)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ekyam.organization')),
                    ],
                    options={
                        'db_table': 'webhooks_alertnotification',
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Alert',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('dlq', 'Dead-lettered message'), ('endpoint_disabled', 'Endpoint disabled'), ('workflow_paused', 'Workflow paused'), ('connection_offline', 'Connection offline')], max_length=24)),
                        ('title', models.CharField(max_length=200)),
                        ('reason', models.TextField()),
                        ('link', models.CharField(blank=True, default='', max_length=500)),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('notified_at', models.DateTimeField(blank=True, null=True)),
                        ('read_at', models.DateTimeField(blank=True, null=True)),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ekyam.organization')),
                    ],
                    options={
                        'db_table': 'webhooks_alert',
                        'ordering': ['-created_at', '-pk'],
                        'indexes': [models.Index(fields=['organization', 'notified_at'], name='alert_pending')],
                    },
                ),
                migrations.CreateModel(
                    name='AlertSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('slack_webhook_url', models.URLField(blank=True, default='', max_length=500)),
                        ('email_enabled', models.BooleanField(default=True)),
                        ('last_notified_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ekyam.organization')),
                    ],
                    options={
                        'db_table': 'webhooks_alertsettings',
                        'constraints': [models.UniqueConstraint(fields=('organization',), name='alert_settings_once')],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
