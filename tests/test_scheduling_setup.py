"""The owner sets up the diary: rooms, opening hours, closures, staff hours, leave, treatments."""

import datetime as dt

import pytest
from django.urls import reverse

from mesoclinic.scheduling.models import (
    Leave,
    Room,
    SiteClosure,
    SiteHours,
    TreatmentType,
    WorkingHours,
)
from mesoclinic.tenancy import acting_for
from tests.factories import client_for


def _site_url(site, kind):
    return reverse("diary_setup_site", args=[site.public_id, kind])


def test_the_owner_sets_up_a_site_and_its_staff(org, site, owner, practitioner):
    client = client_for(owner)
    assert client.get(reverse("diary_setup")).status_code == 200
    assert client.post(_site_url(site, "room"), {"name": "Room A"}).status_code == 302
    hours = {"weekday": 0, "opens": "09:00", "closes": "17:00"}
    assert client.post(_site_url(site, "hours"), hours).status_code == 302
    day = dt.date.today() + dt.timedelta(days=30)
    assert (
        client.post(_site_url(site, "closure"), {"date": day, "reason": "works"}).status_code == 302
    )
    zone = client.post(_site_url(site, "timezone"), {"time_zone": "Europe/Paris"})
    assert zone.status_code == 302
    staff = reverse("diary_setup_staff", args=[practitioner.public_id, "work"])
    work = {"at_site": site.public_id, "weekday": 0, "start": "10:00", "end": "14:00"}
    assert client.post(staff, work).status_code == 302
    leave = reverse("diary_setup_staff", args=[practitioner.public_id, "leave"])
    assert client.post(leave, {"start_date": day, "end_date": day}).status_code == 302
    treatment = {"name": "Lipolysis", "duration_minutes": 60, "roles": ["practitioner"]}
    assert client.post(reverse("diary_setup_treatment"), treatment).status_code == 302
    site.refresh_from_db()
    assert site.time_zone == "Europe/Paris"
    with acting_for(org):
        assert Room.objects.get().name == "Room A"
        assert SiteHours.objects.get().closes == dt.time(17)
        assert SiteClosure.objects.get().reason == "works"
        assert WorkingHours.objects.get(user=practitioner).start == dt.time(10)
        assert Leave.objects.get().start_date == day
        assert TreatmentType.objects.get().roles == ["practitioner"]
    page = client.get(reverse("diary_setup")).content.decode()
    assert "Room A" in page and "Lipolysis" in page and "works" in page


def test_bad_input_is_explained_and_kept(org, site, owner):
    client = client_for(owner)
    response = client.post(
        _site_url(site, "hours"), {"weekday": 2, "opens": "17:00", "closes": "09:00"}
    )
    text = response.content.decode()
    assert response.status_code == 400 and "Must be after the opens" in text
    assert 'value="17:00"' in text
    client.post(_site_url(site, "room"), {"name": "Room A"})
    again = client.post(_site_url(site, "room"), {"name": "Room A"})
    assert again.status_code == 400 and "That already exists" in again.content.decode()
    bad_zone = client.post(_site_url(site, "timezone"), {"time_zone": "Mars/Olympus"})
    assert bad_zone.status_code == 400


def test_rooms_are_retired_and_hours_removed(org, site, owner):
    with acting_for(org):
        room = Room.objects.create(site=site, name="Room A")
        hours = SiteHours.objects.create(site=site, weekday=1, opens=dt.time(9), closes=dt.time(12))
    client = client_for(owner)
    client.post(reverse("diary_setup_remove", args=["room", room.public_id]))
    client.post(reverse("diary_setup_remove", args=["hours", hours.public_id]))
    with acting_for(org):
        assert not Room.objects.get().active
        assert not SiteHours.objects.exists()


@pytest.mark.parametrize("role", ["practitioner", "esthetician", "reception"])
def test_only_the_owner_sets_up_the_diary(role, personas, site):
    client = client_for(personas[role])
    assert client.get(reverse("diary_setup")).status_code == 403
    assert client.post(_site_url(site, "room"), {"name": "X"}).status_code == 403


def test_outsiders_get_404_for_our_diary(org, site, personas, practitioner):
    with acting_for(org):
        room = Room.objects.create(site=site, name="Room A")
    client = client_for(personas["outsider"])
    assert client.post(_site_url(site, "room"), {"name": "X"}).status_code == 404
    staff = reverse("diary_setup_staff", args=[practitioner.public_id, "leave"])
    assert (
        client.post(staff, {"start_date": "2030-01-01", "end_date": "2030-01-02"}).status_code
        == 404
    )
    remove = reverse("diary_setup_remove", args=["room", room.public_id])
    assert client.post(remove).status_code == 404
    page = client.get(reverse("diary_setup")).content.decode()
    assert "Room A" not in page and "Dr Pia Prax" not in page


def test_the_set_up_page_queries_stay_bounded(
    org, site, owner, practitioner, esthetician, django_assert_max_num_queries
):
    with acting_for(org):
        for weekday in range(7):
            for user in (owner, practitioner, esthetician):
                WorkingHours.objects.create(
                    user=user, site=site, weekday=weekday, start=dt.time(9), end=dt.time(17)
                )
    client = client_for(owner)
    with django_assert_max_num_queries(16):  # measured: 15, whatever the number of rows
        client.get(reverse("diary_setup"))
