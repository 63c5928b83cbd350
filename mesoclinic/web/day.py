"""The practitioner's day on the home page, assembled from the diary's and outcomes' sections.

The diary hands over today's appointments of the signed-in clinician and the outcomes app
the scores due for those patients and for the clinician's other patients; neither app
imports this page. A later issue grows it into the whole "Today" page.
"""

from typing import Any

from mesoclinic.accounts.models import User
from mesoclinic.outcomes import sections as outcome_sections
from mesoclinic.scheduling import sections as diary_sections


def day_for(user: User) -> dict[str, Any]:
    """Today's appointments with the scores due for each patient, then the scores due for
    the user's other patients: a fixed number of queries whatever the counts."""
    appointments = diary_sections.day_of(user)
    booked = list({a.patient_id: a.patient for a in appointments}.values())
    return {"appointments": appointments, **outcome_sections.day_section(user, booked)}
