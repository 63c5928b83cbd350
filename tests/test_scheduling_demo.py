"""The demo clinic has a diary once, however often `mesoclinic demo` runs."""

from io import StringIO

from django.core.management import call_command

from mesoclinic.accounts.models import Organization
from mesoclinic.scheduling.models import HOLDS_SLOT, Appointment, Room, SiteHours, WorkingHours
from mesoclinic.tenancy import acting_for


def test_demo_diary_is_loaded_once_without_double_bookings(db, monkeypatch):
    monkeypatch.setenv("MESOCLINIC_DEMO_PASSWORD", "demo password 123")
    for _ in range(2):
        call_command("demo", patients=12, past=False, stdout=StringIO())
    demo = Organization.objects.get(name="Demo Clinic")
    with acting_for(demo):
        assert Room.objects.count() == 4
        assert SiteHours.objects.count() == 13
        assert WorkingHours.objects.exists()
        booked = list(Appointment.objects.filter(status__in=HOLDS_SLOT))
    assert len(booked) >= 20
    for a in booked:
        for b in booked:
            if a.pk < b.pk and a.starts_at < b.ends_at and b.starts_at < a.ends_at:
                assert a.practitioner_id != b.practitioner_id
                assert a.room_id != b.room_id
                assert a.patient_id != b.patient_id
    # Sessions on the hour, and the midday 15-minute review call at 12:30.
    assert {a.local_start().hour for a in booked} <= set(range(9, 17))


def test_the_demo_practitioner_has_a_diary(db, monkeypatch):
    """The home page shows the practitioner's day: a visitor logging in as the demo
    practitioner sees appointments on a weekday, not an empty day."""
    monkeypatch.setenv("MESOCLINIC_DEMO_PASSWORD", "demo password 123")
    call_command("demo", patients=12, past=False, stdout=StringIO())
    demo = Organization.objects.get(name="Demo Clinic")
    with acting_for(demo):
        theirs = Appointment.objects.filter(practitioner__email="practitioner@demo.clinic")
        weekdays = {a.local_start().date() for a in theirs}
    assert len(weekdays) >= 8  # every weekday of this week and the next


def test_every_day_of_the_fortnight_has_visits_weekends_included(db, monkeypatch):
    """Whatever day the demo (or CI) starts on, today has visits: Riverside opens on
    Saturday and Sunday mornings, Central on Saturday."""
    import datetime as dt

    monkeypatch.setenv("MESOCLINIC_DEMO_PASSWORD", "demo password 123")
    call_command("demo", patients=12, past=False, stdout=StringIO())
    demo = Organization.objects.get(name="Demo Clinic")
    with acting_for(demo):
        days = {
            a.local_start().date()
            for a in Appointment.objects.filter(practitioner__email="practitioner@demo.clinic")
        }
        sunday_hours = SiteHours.objects.filter(weekday=6).select_related("site")
        assert [h.site.name for h in sunday_hours] == ["Demo Clinic Riverside"]
    monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    fortnight = {monday + dt.timedelta(days=n) for n in range(14)}
    assert {d for d in fortnight if (d.month, d.day) != (12, 25)} <= days
