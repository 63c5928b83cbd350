"""Load the demo clinic (idempotent) and print its logins."""

import os
import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from mesoclinic.accounts.models import ClinicalLicence, LicenceType, Organization, Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.envconfig import read_or_create_secret
from mesoclinic.patients import models as m
from mesoclinic.payments import demo as payments_demo
from mesoclinic.portal import demo as portal_demo
from mesoclinic.scheduling.demo import book_course_visit, create_diary
from mesoclinic.scheduling.models import Room
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import Lot, TreatmentSession
from mesoclinic.web import demo_past, demo_photos

DEMO_STAFF = [
    ("owner@demo.clinic", "Olivia Owner", Role.OWNER),
    ("practitioner@demo.clinic", "Dr Paul Moreau", Role.PRACTITIONER),
    ("esthetician@demo.clinic", "Emma Laurent", Role.ESTHETICIAN),
    ("reception@demo.clinic", "Rita Reyes", Role.RECEPTION),
]
OTHER_STAFF = [("owner@other.clinic", "Oscar Other", Role.OWNER)]
# The practitioner is a licensed physician; the esthetician holds a nurse's registration,
# which does not allow prescribing; the owner manages and holds none, so does not treat.
DEMO_LICENCES = [
    ("practitioner@demo.clinic", LicenceType.PHYSICIAN, "GMC-7004821", "General Medical Council"),
    ("esthetician@demo.clinic", LicenceType.NURSE, "NMC-18B2231E", "Nursing and Midwifery Council"),
]

FIRST_F = [
    "Anna",
    "Sofia",
    "Maria",
    "Chloe",
    "Leila",
    "Yuki",
    "Grace",
    "Ines",
    "Nadia",
    "Hannah",
    "Olga",
    "Fatima",
    "Claire",
    "Lucia",
    "Priya",
    "Zoe",
    "Emily",
    "Aisha",
    "Marta",
    "Elena",
]
FIRST_M = ["James", "Omar", "Luca", "Daniel", "Hiro", "Mateo", "Samuel", "Ivan", "Karim", "Tom"]
LAST = [
    "García",
    "Smith",
    "Müller",
    "Rossi",
    "Nguyen",
    "Kowalski",
    "Dubois",
    "Haddad",
    "Tanaka",
    "O'Brien",
    "Silva",
    "Novak",
    "Ahmed",
    "Jensen",
    "López",
    "Martin",
    "Costa",
    "Papadopoulos",
    "Okafor",
    "Fischer",
    "Moreno",
    "Kim",
    "Bianchi",
    "Petrov",
]
OCCUPATIONS = [
    "Teacher",
    "Nurse",
    "Software developer",
    "Retail manager",
    "Lawyer",
    "Chef",
    "Accountant",
    "Flight attendant",
    "Architect",
    "Student",
    "Retired",
    "Hairdresser",
]
ALLERGIES = [
    ("lidocaine", "", "Urticaria after dental anaesthesia", "moderate"),
    ("", "Penicillin", "Rash", "mild"),
    ("", "Latex", "Contact dermatitis", "mild"),
    ("hyaluronic-acid", "", "Swelling lasting 3 days", "moderate"),
    ("minoxidil", "", "Scalp irritation", "mild"),
    ("", "Bee venom", "Throat swelling", "anaphylaxis"),
]
MEDICATIONS = [
    ("Warfarin", "5 mg daily"),
    ("Apixaban", "5 mg twice daily"),
    ("Aspirin", "75 mg daily"),
    ("Clopidogrel", "75 mg daily"),
    ("Levothyroxine", "50 µg daily"),
    ("Metformin", "500 mg twice daily"),
    ("Sertraline", "50 mg daily"),
    ("Combined oral contraceptive", "daily"),
    ("Ramipril", "5 mg daily"),
    ("Atorvastatin", "20 mg at night"),
]
CONDITIONS = [
    "diabetes",
    "hypertension",
    "autoimmune-disease",
    "bleeding-disorder",
    "keloid-tendency",
    "gallstones",
    "cardiovascular-disease",
    "dysphagia",
]
LIFESTYLE = ["legs-crossed", "immobility", "smoking", "alcohol", "high-heels"]
CONCERNS = [
    (
        "skin-rejuvenation",
        ["cheeks", "forehead"],
        "Fresher, more hydrated skin",
        "Hopes to look less tired",
    ),
    ("hair-loss", ["scalp"], "Slow the thinning at the crown", "Wants to keep her hair"),
    (
        "cellulite",
        ["thighs-outer", "buttocks"],
        "Smoother thighs before summer",
        "Expects visible change in 6 sessions",
    ),
    ("localized-fat", ["submental"], "Reduce the double chin", "Wants a sharper jawline"),
    (
        "localized-fat",
        ["abdomen", "flanks"],
        "Reduce lower belly fat",
        "Understands it does not replace diet and exercise",
    ),
    ("texture", ["cheeks"], "Smoother skin texture", ""),
    ("facial-symmetry", ["cheeks"], "Left cheek looks fuller than the right", ""),
    ("pain", ["back"], "Chronic lower back pain", "Less pain at work"),
]


def demo_password() -> str:
    if value := os.environ.get("MESOCLINIC_DEMO_PASSWORD"):
        return value
    return read_or_create_secret(settings.DATA_DIR / "demo_password", nbytes=12)


class Command(BaseCommand):
    help = "Create the demo clinic (once) and print its logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=40)
        parser.add_argument(
            "--no-past",
            dest="past",
            action="store_false",
            help="Leave out the year of past courses, sessions, scores and adverse events.",
        )

    def handle(self, *args: Any, patients: int, past: bool = True, **options: Any) -> None:
        password = demo_password()
        with transaction.atomic():
            demo = self._org(
                "Demo Clinic",
                ["Demo Clinic Central", "Demo Clinic Riverside"],
                DEMO_STAFF,
                password,
            )
            self._org("Other Clinic", ["Other Clinic Main"], OTHER_STAFF, password)
            with acting_for(demo):
                if not m.Patient.objects.exists():
                    create_patients(demo, patients, seed=2026)
                if not Lot.objects.exists():
                    create_lots(demo)
                if not Room.objects.exists():
                    create_diary(demo)
                if not ClinicalLicence.objects.exists():
                    create_licences(demo)
                if past and not TreatmentSession.objects.exists():
                    _refresh_statistics()
                    loaded = demo_past.create_past(demo)
                    loaded["photos"] = demo_photos.create_photos()
                    self.stdout.write(_past_summary(loaded))
                if past and (money := payments_demo.create_money(demo)):
                    self.stdout.write(_money_summary(money))
                if past and (visit := book_course_visit(demo)):
                    self.stdout.write(
                        f"Today at {visit.local_start():%H:%M}: {visit.patient.full_name}, "
                        f"course session {visit.course_session}"
                    )
                patients_logins = portal_demo.create_logins(demo, password, timezone.now())
                _refresh_statistics()
        logins = [email for email, _, _ in DEMO_STAFF + OTHER_STAFF]
        self.stdout.write(f"\nmesoclinic demo logins (password for all: {password})")
        for email in logins:
            self.stdout.write(f"  {email}")
        self.stdout.write("Patient portal logins (same password), at /portal/:")
        for email in patients_logins:
            self.stdout.write(f"  {email}")
        port = os.environ.get("MESOCLINIC_PORT", "8000")
        self.stdout.write(f"\nServing on http://127.0.0.1:{port}\n")

    def _org(
        self,
        name: str,
        site_names: Sequence[str],
        staff: Sequence[tuple[str, str, Role]],
        password: str,
    ) -> Organization:
        org, _ = Organization.objects.get_or_create(name=name)
        sites = [
            Site.all_orgs.get_or_create(
                organization=org, name=s, defaults={"phone": f"+1 555 0100 {100 + i}"}
            )[0]
            for i, s in enumerate(site_names)
        ]
        for email, full_name, role in staff:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email=email, password=password, full_name=full_name, organization=org, role=role
                )
                user.sites.set(sites)
            elif not user.check_password(password):
                user.set_password(password)
                user.save(update_fields=["password"])
        return org


def _refresh_statistics() -> None:
    """PostgreSQL plans from table statistics, and autovacuum cannot see rows this
    transaction has not committed: without ANALYZE, every query on the tables just filled
    is planned as if they were empty (nested loops over thousands of rows: on the demo,
    half a second a query). ANALYZE counts the transaction's own rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _past_summary(loaded: dict[str, Any]) -> str:
    return (
        f"Demo Clinic's past year: {loaded['patients']} patients, "
        f"{sum(loaded['plans'].values())} courses, {loaded['sessions']} signed sessions, "
        f"{loaded['assessments']} outcome scores, {loaded['adverse_events']} adverse events, "
        f"{loaded.get('photos', 0)} photos (synthetic faces)"
    )


def _money_summary(money: dict[str, int]) -> str:
    return (
        f"Demo Clinic's money: {money['invoices']} invoices, {money['payments']} payments, "
        f"{money['refunds']} refund, {money['credit_notes']} credit note, "
        f"{money['packages']} course package"
    )


def create_patients(org: Organization, count: int, seed: int) -> list[m.Patient]:
    rng = random.Random(seed)
    sites = list(Site.all_orgs.filter(organization=org))
    practitioner = User.objects.filter(organization=org, role=Role.PRACTITIONER).first()
    today = date.today()
    created = []
    for i in range(count):
        female = rng.random() < 0.8  # most mesotherapy patients are women
        patient = demo_patient(rng, i, female, sites, practitioner, today)
        _demo_history(rng, i, patient, practitioner, today)
        created.append(patient)
    return created


def demo_patient(
    rng: random.Random,
    i: int,
    female: bool,
    sites: list[Site],
    practitioner: User | None,
    today: date,
) -> m.Patient:
    first = rng.choice(FIRST_F if female else FIRST_M)
    last = rng.choice(LAST)
    dob = today - timedelta(days=rng.randint(20 * 365, 68 * 365))
    return m.Patient.objects.create(
        first_name=first,
        last_name=last,
        date_of_birth=dob,
        sex=m.Sex.FEMALE if female else m.Sex.MALE,
        phone=f"+1 555 01{i:02d} {rng.randint(100, 999)}",
        email=f"{first}.{last}{i}@example.com".lower().replace("'", "").replace(" ", ""),
        address=f"{rng.randint(1, 200)} Rue Exemple\nSpringfield",
        weight_kg=rng.randint(48, 105),
        height_cm=rng.randint(152, 192),
        measured_on=today - timedelta(days=rng.randint(0, 200)),
        fitzpatrick=rng.randint(1, 6),
        occupation=rng.choice(OCCUPATIONS),
        emergency_contact_name=f"{rng.choice(FIRST_F + FIRST_M)} {last}",
        emergency_contact_phone=f"+1 555 02{i:02d} {rng.randint(100, 999)}",
        home_site=rng.choice(sites),
        created_by=practitioner,
    )


def _demo_history(
    rng: random.Random, i: int, patient: m.Patient, practitioner: User | None, today: date
) -> None:
    """Allergies, medicines, conditions, pregnancy, infections, lifestyle and a concern."""
    entry = {"patient": patient, "created_by": practitioner}
    female = patient.sex == m.Sex.FEMALE

    def when(max_days: int = 900) -> date:
        return today - timedelta(days=rng.randint(0, max_days))

    allergies = rng.sample(ALLERGIES, k=rng.choice([0, 0, 1, 2]))
    for substance, text, reaction, severity in allergies:
        m.Allergy.objects.create(
            substance=substance,
            substance_text=text,
            reaction=reaction,
            severity=severity,
            recorded_on=when(),
            **entry,
        )
    if not allergies and i % 4:
        # Most were asked; a few show "Allergy history not taken".
        m.NoKnownAllergies.objects.create(recorded_on=patient.measured_on, **entry)
    for name, dose in rng.sample(MEDICATIONS, k=rng.choice([0, 0, 1, 1, 2])):
        m.Medication.objects.create(name=name, dose=dose, recorded_on=when(), **entry)
    for slug in rng.sample(CONDITIONS, k=rng.choice([0, 0, 0, 1])):
        m.Condition.objects.create(condition=slug, recorded_on=when(), **entry)
    if female and 20 <= patient.age_on(today) <= 45 and rng.random() < 0.25:
        status = rng.choice([m.PregnancyState.PREGNANT, m.PregnancyState.BREASTFEEDING])
        m.PregnancyStatus.objects.create(
            status=status, confirmed_on=when(60), recorded_on=when(60), **entry
        )
    elif female:
        m.PregnancyStatus.objects.create(
            status=m.PregnancyState.NOT_PREGNANT,
            confirmed_on=when(30),
            recorded_on=when(30),
            **entry,
        )
    if rng.random() < 0.08:
        m.SkinInfection.objects.create(
            area=rng.choice(["cheeks", "thighs-outer", "scalp"]),
            description="Folliculitis",
            recorded_on=when(14),
            **entry,
        )
    for slug in rng.sample(LIFESTYLE, k=rng.choice([0, 1, 2])):
        m.LifestyleFactor.objects.create(factor=slug, recorded_on=when(), **entry)
    concern, areas, goals, expectations = rng.choice(CONCERNS)
    m.Concern.objects.create(
        concern=concern,
        areas=areas,
        goals=goals,
        expectations=expectations,
        recorded_on=when(30),
        **entry,
    )


def create_licences(org: Organization) -> None:
    owner = User.objects.filter(organization=org, role=Role.OWNER).first()
    expires_on = date.today() + timedelta(days=2 * 365)
    for email, licence_type, number, jurisdiction in DEMO_LICENCES:
        ClinicalLicence.objects.create(
            user=User.objects.get(email=email),
            licence_type=licence_type,
            number=number,
            jurisdiction=jurisdiction,
            expires_on=expires_on,
            recorded_by=owner,
        )


DEMO_LOTS = [
    # product, lot number, days to expiry, vials
    ("deoxycholic-10mg-2ml", "DCA24-118", 240, 20),
    ("deoxycholic-10mg-2ml", "DCA24-031", 12, 4),  # expires soon: listed for the owner
    ("deoxycholic-10mg-2ml", "DCA23-907", -9, 6),  # expired, still on the shelf: refused
    ("pcdc-5ml", "PCDC-7781", 300, 30),
    ("ha-noncrosslinked-2ml", "HAB-5521", 400, 25),
    ("ha-booster-lidocaine-3ml", "HBL-0934", 380, 10),
    ("minoxidil-05pct-5ml", "MNX-2210", 200, 40),
    ("vitc-glutathione-5ml", "VCG-1180", 150, 15),
    ("cellulite-cocktail-10ml", "CEL-6620", 260, 3),  # low stock
    ("lidocaine-1pct-5ml", "LID-4410", 500, 12),
    ("prp-kit", "PRP-3001", 600, 8),
]


def create_lots(org: Organization) -> None:
    owner = User.objects.filter(organization=org, role=Role.OWNER).first()
    today = date.today()
    for site in Site.all_orgs.filter(organization=org):
        for product, number, days, vials in DEMO_LOTS:
            Lot.objects.create(
                site=site,
                product=product,
                lot_number=number,
                expires_on=today + timedelta(days=days),
                supplier="Demo Pharma Supplies",
                received_on=today - timedelta(days=20 if days > 0 else 120),
                vials_received=vials,
                received_by=owner,
            )
