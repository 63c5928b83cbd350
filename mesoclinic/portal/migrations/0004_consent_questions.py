"""Questions about a consent and the clinic's answers (portal.ConsentMessage), kept as
written: the database refuses every UPDATE and DELETE of a message.

On SQLite, a later migration that rebuilds this table drops these triggers: create them
again after (tests/test_portal_consent.py checks them).
"""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


# No apostrophe: the message sits inside SQL quotes.
KEPT = "a consent question or answer is kept as written: write another instead"

SQLITE = [
    "CREATE TRIGGER consent_message_no_update BEFORE UPDATE ON portal_consentmessage "
    f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END;",
    "CREATE TRIGGER consent_message_no_delete BEFORE DELETE ON portal_consentmessage "
    f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END;",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS consent_message_no_update;",
    "DROP TRIGGER IF EXISTS consent_message_no_delete;",
]
# No percent signs: the schema editor passes parameters, so psycopg would read them.
PG = f"""
CREATE OR REPLACE FUNCTION portal_consentmessage_kept() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = '{KEPT}', ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER consent_message_kept BEFORE UPDATE OR DELETE ON portal_consentmessage
    FOR EACH ROW EXECUTE FUNCTION portal_consentmessage_kept();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS consent_message_kept ON portal_consentmessage;
DROP FUNCTION IF EXISTS portal_consentmessage_kept();
"""


def _run(schema_editor, pg, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(pg)
    elif vendor == "sqlite":
        for sql in sqlite:
            schema_editor.execute(sql)
    else:
        raise NotImplementedError(f"no consent message triggers written for {vendor}")


def forwards(apps, schema_editor):
    _run(schema_editor, PG, SQLITE)


def backwards(apps, schema_editor):
    _run(schema_editor, PG_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0012_cooling_off'),
        ('patients', '0004_chart_version'),
        ('plans', '0006_plan_protocol_areas'),
        ('portal', '0003_symptom_reports_are_kept'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ConsentMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('from_patient', models.BooleanField()),
                ('body', models.TextField()),
                ('written_at', models.DateTimeField()),
                ('submission_key', models.UUIDField(unique=True)),
                ('answers', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='replies', to='portal.consentmessage')),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('organization', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.organization')),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='patients.patient')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='plans.plan')),
            ],
            options={
                'indexes': [models.Index(fields=['plan', 'written_at'], name='consent_message_plan')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('answers__isnull', True), ('from_patient', True)), models.Q(('answers__isnull', False), ('from_patient', False)), _connector='OR'), name='consent_message_asks_or_answers'), models.CheckConstraint(condition=models.Q(('body', ''), _negated=True), name='consent_message_said')],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
