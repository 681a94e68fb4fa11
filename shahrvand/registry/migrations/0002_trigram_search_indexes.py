"""On PostgreSQL, trigram indexes make "contains" searches on names and addresses index scans.

pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it. On SQLite
nothing is done; a district's registry is small enough for a scan there.
"""

from django.db import migrations

INDEXES = [
    ("registry_person_search_name_trgm", "registry_person", "search_name"),
    ("registry_parcel_search_text_trgm", "registry_parcel", "search_text"),
    # Django's icontains compares UPPER(column::text): index that expression.
    ("registry_business_title_trgm", "registry_business", "(UPPER(title::text))"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)", params=None
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
