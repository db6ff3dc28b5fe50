"""Endpoint custom headers move into the vault (they often carry credentials): encrypt existing rows."""

from django.db import migrations, models


def encrypt_headers(apps, schema_editor):
    from ekyam import vault

    Endpoint = apps.get_model("webhooks", "Endpoint")
    for endpoint in Endpoint.objects.exclude(headers={}).only("pk", "headers").iterator():
        if endpoint.headers:
            Endpoint.objects.filter(pk=endpoint.pk).update(headers_encrypted=vault.encrypt_json(endpoint.headers))


def decrypt_headers(apps, schema_editor):
    from ekyam import vault

    Endpoint = apps.get_model("webhooks", "Endpoint")
    for endpoint in Endpoint.objects.exclude(headers_encrypted="").only("pk", "headers_encrypted").iterator():
        Endpoint.objects.filter(pk=endpoint.pk).update(headers=vault.decrypt_json(endpoint.headers_encrypted))


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0007_ordered_delivery_per_entity")]

    operations = [
        migrations.AddField(
            model_name="endpoint", name="headers_encrypted", field=models.TextField(default="", editable=False)
        ),
        migrations.RunPython(encrypt_headers, decrypt_headers),
        migrations.RemoveField(model_name="endpoint", name="headers"),
    ]
