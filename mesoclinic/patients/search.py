"""Finding a patient: each kind of query is an index range scan."""

from datetime import date, datetime

from django.db.models import QuerySet

from mesoclinic.patients import models as m
from mesoclinic.patients.models import digits, search_key

PAGE_SIZE = 25
COUNT_CAP = 1000


def parse_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def search_patients(query: str) -> tuple[QuerySet[m.Patient], str]:
    """Name prefix, date of birth, phone digits or email: each an index range scan."""
    qs = m.Patient.objects.all()
    query = query.strip()
    if not query:
        return qs, "list"
    if "@" in query:
        key = query.lower()
        return qs.filter(email_lower__gte=key, email_lower__lt=key + "\uffff"), "email"
    if dob := parse_date(query):
        return qs.filter(date_of_birth=dob), "date of birth"
    if len(phone := digits(query)) >= 3 and len(phone) >= len(query.replace(" ", "")) - 2:
        return qs.filter(phone_digits__gte=phone, phone_digits__lt=phone + ":"), "phone"
    words = search_key(query).split()
    if not words:
        return qs.none(), "name"
    if len(words) == 1:
        lo, hi = words[0], words[0] + "\x7f"
        last = qs.filter(search_last__gte=lo, search_last__lt=hi)
        first = qs.filter(search_first__gte=lo, search_first__lt=hi)
        return last | first, "name"
    # "Anna Smi" or "Smith Anna": first word(s) and last word in either order.
    a, b = " ".join(words[:-1]), words[-1]
    forward = qs.filter(
        search_first__gte=a,
        search_first__lt=a + "\x7f",
        search_last__gte=b,
        search_last__lt=b + "\x7f",
    )
    backward = qs.filter(
        search_last__gte=a,
        search_last__lt=a + "\x7f",
        search_first__gte=b,
        search_first__lt=b + "\x7f",
    )
    return forward | backward, "name"
