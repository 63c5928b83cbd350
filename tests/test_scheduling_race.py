"""Two receptionists book one slot at the same moment: one booking, one clear refusal.

Runs with real threads and real transactions on whichever database the suite
uses. SQLite's in-memory test database cannot show writers queueing, so on it
the test re-runs itself in a subprocess against a SQLite file.
"""

import datetime as dt
import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction

from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import Appointment, Status
from mesoclinic.scheduling.services import Refused
from mesoclinic.tenancy import acting_for
from tests.factories import in_memory_sqlite, local, next_weekday, open_clinic, rerun_on_a_file


@pytest.fixture
def clinic(org, site):
    return open_clinic(org, site)


CLASHES = {
    "practitioner": "Dr Pia Prax is already booked",
    "room": "Room 1 is already booked",
    "patient": "Ann García already has an appointment",
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("clash", list(CLASHES))
def test_two_simultaneous_bookings_of_one_slot_make_one_appointment(
    clash,
    tmp_path,
    monkeypatch,
    org,
    clinic,
    reception,
    owner,
    practitioner,
    esthetician,
    make_patient,
):
    if in_memory_sqlite():
        rerun_on_a_file(
            tmp_path,
            f"test_two_simultaneous_bookings_of_one_slot_make_one_appointment[{clash}]",
            __file__,
        )
        return
    # Audit rows are append-only, even for the flush that ends a transactional test on SQLite.
    monkeypatch.setattr(services, "record", lambda *_args, **_kwargs: None)
    # Widen the window between the check and the insert: on PostgreSQL both desks then pass
    # the check and the exclusion constraint must refuse one; SQLite's IMMEDIATE transaction
    # makes the second desk wait for the first to commit.
    checked = services._check_free

    def slow_check(*args, **kwargs):
        checked(*args, **kwargs)
        time.sleep(0.3)

    monkeypatch.setattr(services, "_check_free", slow_check)
    start = local(next_weekday(2), 11)
    ann = make_patient(first_name="Ann")
    patients = [ann, ann if clash == "patient" else make_patient(first_name="Ben")]
    staff = [practitioner, practitioner if clash == "practitioner" else esthetician]
    rooms = [clinic["rooms"][0], clinic["rooms"][0 if clash == "room" else 1]]
    desks = [reception, owner]
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def desk(n: int) -> None:
        try:
            with acting_for(org):
                barrier.wait(timeout=10)
                outcomes[n] = services.book(
                    desks[n],
                    site=clinic["site"],
                    room=rooms[n],
                    practitioner=staff[n],
                    patient=patients[n],
                    starts_at=start,
                    ends_at=start + dt.timedelta(minutes=45),
                )
        except Refused as refused:
            outcomes[n] = refused
        except Exception as error:  # surfaced by the assertions below
            outcomes[n] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=desk, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    booked = [o for o in outcomes if isinstance(o, Appointment)]
    refused = [o for o in outcomes if isinstance(o, Refused)]
    assert len(booked) == 1 and len(refused) == 1, outcomes
    assert CLASHES[clash] in refused[0].message
    assert "11:00-11:45" in refused[0].message
    with acting_for(org):
        assert Appointment.objects.filter(status=Status.BOOKED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_itself_refuses_an_overlap_written_around_the_service(
    org, clinic, reception, practitioner, make_patient
):
    """PostgreSQL's exclusion constraint; SQLite relies on the service's IMMEDIATE transaction."""
    start = local(next_weekday(2), 11)
    fields = dict(
        site=clinic["site"],
        practitioner=practitioner,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=45),
        created_by=reception,
    )
    with acting_for(org):
        Appointment.objects.create(patient=make_patient(), room=clinic["rooms"][0], **fields)
        # A cancelled row never blocks.
        Appointment.objects.create(
            patient=make_patient(first_name="Cy"),
            room=clinic["rooms"][1],
            status=Status.CANCELLED,
            cancel_reason="ill",
            **fields,
        )
        if connection.vendor == "postgresql":
            with pytest.raises(IntegrityError), transaction.atomic():
                Appointment.objects.create(
                    patient=make_patient(first_name="Bea"), room=clinic["rooms"][1], **fields
                )
        with pytest.raises(Refused, match="already booked"):
            services.book(
                reception,
                **{k: v for k, v in fields.items() if k != "created_by"},
                patient=make_patient(first_name="Di"),
                room=clinic["rooms"][1],
            )
