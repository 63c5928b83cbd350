"""A questionnaire's answers are kept as the patient sent them: DELETE and any UPDATE
of what was answered are refused; the review (status, who, when, why, the chart entry)
may be set once, while the answer is pending (tests/test_portal_questionnaire.py)."""

from django.db import migrations

from mesoclinic.kept_records import kept_as_written


class Migration(migrations.Migration):
    dependencies = [("portal", "0006_questionnaire")]
    operations = [
        kept_as_written(
            "portal_reportedentry",
            name="reported_entry",
            message="a questionnaire answer is kept as sent: review it, never change it",
            written=[
                "organization_id", "public_id", "questionnaire_id", "patient_id", "kind",
                "data", "position",
            ],  # fmt: skip
            review=["status", "reviewed_at", "reviewed_by_id", "review_reason", "entry_id"],
            open_sql="OLD.status = 'pending'",
        )
    ]
