from django.db import migrations, models


def encrypt_urls(apps, schema_editor):
    from ekyam import vault

    AlertSettings = apps.get_model("alerts", "AlertSettings")
    for row in AlertSettings.objects.exclude(slack_webhook_url=""):
        encrypted = vault.encrypt_json({"url": row.slack_webhook_url})
        AlertSettings.objects.filter(pk=row.pk).update(slack_webhook_url_encrypted=encrypted)


def decrypt_urls(apps, schema_editor):
    from ekyam import vault

    AlertSettings = apps.get_model("alerts", "AlertSettings")
    for row in AlertSettings.objects.exclude(slack_webhook_url_encrypted=""):
        url = vault.decrypt_json(row.slack_webhook_url_encrypted).get("url", "")
        AlertSettings.objects.filter(pk=row.pk).update(slack_webhook_url=url)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0003_reconciliation_drift_alert")]

    operations = [
        migrations.AddField(
            model_name="alertsettings",
            name="slack_webhook_url_encrypted",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(encrypt_urls, decrypt_urls),
        migrations.RemoveField(model_name="alertsettings", name="slack_webhook_url"),
    ]
