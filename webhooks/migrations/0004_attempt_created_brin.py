"""A BRIN index on attempt times (PostgreSQL only), for an endpoint's delivery health over the last
hours: tiny, and nearly free to keep up on an append-only, time-ordered table, where a B-tree would
cost every one of thousands of attempt inserts a second."""

from django.db import migrations

CREATE = "CREATE INDEX IF NOT EXISTS attempt_created_brin ON webhooks_deliveryattempt USING brin (created_at)"
DROP = "DROP INDEX IF EXISTS attempt_created_brin"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0003_leaner_indexes")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
