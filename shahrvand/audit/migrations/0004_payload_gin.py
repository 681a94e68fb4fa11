"""On PostgreSQL, a GIN index (jsonb_path_ops) on audit payloads for the auditor's search.

The search matches identifiers inside payloads with ``payload @> {...}`` (a bill ID, a tracking
code, a person in a search's ``people`` list); without this index each such search reads the
whole table. SQLite (development) has no equivalent and scans.
"""

from django.db import migrations

CREATE = "CREATE INDEX IF NOT EXISTS audit_payload_gin ON audit_auditentry USING gin (payload jsonb_path_ops)"
DROP = "DROP INDEX IF EXISTS audit_payload_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_search_indexes_chaincheck")]

    operations = [migrations.RunPython(create_index, drop_index)]
