"""Appointments record when the patient arrived and the session started from them.

Both columns are nullable without a default, and the link is kept one appointment per
session by a partial unique index, so SQLite adds them in place; the operations are
still wrapped in `kept_around` so that any version of Django that rebuilds the table
keeps the chart-version triggers 0005 put on scheduling_appointment.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from mesoclinic.sqlite_triggers import kept_around


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0012_cooling_off'),
        ('patients', '0004_chart_version'),
        ('plans', '0006_plan_protocol_areas'),
        ('scheduling', '0007_appointment_follow_up'),
        ('treatments', '0012_clinical_record_fields'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = kept_around("scheduling_appointment", [
        migrations.AddField(
            model_name='appointment',
            name='arrived_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='appointment',
            name='session',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='treatments.treatmentsession'),
        ),
        migrations.AddField(
            model_name='historicalappointment',
            name='arrived_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='historicalappointment',
            name='session',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='treatments.treatmentsession'),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.UniqueConstraint(condition=models.Q(('session__isnull', False)), fields=('session',), name='appt_one_per_session'),
        ),
    ])
