"""A patient's symptom report is kept as they sent it: DELETE and any UPDATE of what
was reported are refused; the review (who, when, outcome, note, adverse event) may be
set once, from empty (tests/test_portal_reports.py, on both databases)."""

from django.db import migrations

from mesoclinic.kept_records import kept_as_written


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_symptom_reports")]
    operations = [
        kept_as_written(
            "portal_symptomreport",
            name="symptom_report",
            message="a patient report is kept as sent: review it, never change it",
            written=[
                "organization_id", "public_id", "patient_id", "session_id", "reported_by_id",
                "reported_at", "feeling", "symptoms", "where", "severity", "started_on",
                "note", "urgency", "checkin_version", "submission_key",
            ],  # fmt: skip
            review=[
                "reviewed_at", "reviewed_by_id", "review_outcome", "review_note",
                "adverse_event_id",
            ],  # fmt: skip
            open_sql="OLD.reviewed_at IS NULL",
        )
    ]
