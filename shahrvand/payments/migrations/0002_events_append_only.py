"""On PostgreSQL, a trigger refuses UPDATE and DELETE on payment events (as for the audit trail).

TRUNCATE is left to the database owner (test runners flush tables with it).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION payment_event_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'payment events are append-only (% refused on event %)', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS payment_event_append_only ON payments_paymentevent;
CREATE TRIGGER payment_event_append_only BEFORE UPDATE OR DELETE ON payments_paymentevent
    FOR EACH ROW EXECUTE FUNCTION payment_event_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS payment_event_append_only ON payments_paymentevent;
DROP FUNCTION IF EXISTS payment_event_refuse_change();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
