"""How the patient wants reminders and notices (email, text message, both, none).
SQLite rebuilds the patient table to add a column with a default: its triggers
(the chart version) are kept around the rebuild."""

from django.conf import settings
from django.db import migrations, models

from mesoclinic.sqlite_triggers import kept_around


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0012_cooling_off'),
        ('patients', '0004_chart_version'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalpatient',
            name='contact_by',
            field=models.CharField(choices=[('email', 'Email'), ('sms', 'Text message'), ('both', 'Email and text message'), ('none', 'No messages')], db_default='email', default='email', max_length=5, verbose_name='Send reminders by'),
        ),
        *kept_around('patients_patient', [migrations.AddField(
            model_name='patient',
            name='contact_by',
            field=models.CharField(choices=[('email', 'Email'), ('sms', 'Text message'), ('both', 'Email and text message'), ('none', 'No messages')], db_default='email', default='email', max_length=5, verbose_name='Send reminders by'),
        ),
        migrations.AddConstraint(
            model_name='patient',
            constraint=models.CheckConstraint(condition=models.Q(('contact_by__in', ['email', 'sms', 'both', 'none'])), name='patient_contact_by_valid'),
        )]),
    ]
