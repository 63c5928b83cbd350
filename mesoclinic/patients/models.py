import re
import unicodedata
from datetime import date
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet

from mesoclinic.patients import vocab
from mesoclinic.patients.contact import ContactBy
from mesoclinic.records import ClinicalRecord, VoidableRecord
from mesoclinic.tenancy import OrgManager, OrgOwned

MIN_WEIGHT_KG = 1
MAX_WEIGHT_KG = 400  # the rules engine refuses heavier; see mesoclinic.rules
MIN_HEIGHT_CM = 30
MAX_HEIGHT_CM = 250


def search_key(text: str) -> str:
    """Lower-case ASCII letters, digits and single spaces, for prefix search on an index."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", folded).strip()


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    INTERSEX = "X", "Intersex / other"
    UNKNOWN = "U", "Not recorded"


class Fitzpatrick(models.IntegerChoices):
    I = 1, "I: always burns, never tans"  # noqa: E741
    II = 2, "II: usually burns, tans minimally"
    III = 3, "III: sometimes burns, tans uniformly"
    IV = 4, "IV: burns minimally, always tans well"
    V = 5, "V: very rarely burns, tans very easily"
    VI = 6, "VI: never burns"


class Patient(ClinicalRecord):
    # Bumped by the database (scheduling migration 0005) in the same transaction as any
    # write that changes what the chart shows; the cached chart is keyed by it.
    chart_version = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    # Reminders and notices go by these channels; "none" is the patient's opt-out.
    contact_by = models.CharField(
        "Send reminders by",
        max_length=5,
        choices=ContactBy.choices,
        default=ContactBy.EMAIL,
        # In the database too: rows written below the ORM (the scale seeder) get it.
        db_default=ContactBy.EMAIL,
    )
    address = models.TextField(blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    measured_on = models.DateField(null=True, blank=True)
    fitzpatrick = models.PositiveSmallIntegerField(
        choices=Fitzpatrick.choices, null=True, blank=True
    )
    occupation = models.CharField(max_length=100, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    notes = models.TextField(blank=True)
    home_site = models.ForeignKey(
        "accounts.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Denormalised keys so that search is an index range scan on every database.
    search_last = models.CharField(max_length=100, editable=False, default="")
    search_first = models.CharField(max_length=100, editable=False, default="")
    phone_digits = models.CharField(max_length=40, editable=False, default="")
    email_lower = models.CharField(max_length=254, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "search_last", "search_first"], name="pt_name"),
            models.Index(fields=["organization", "search_first"], name="pt_first"),
            models.Index(fields=["organization", "date_of_birth"], name="pt_dob"),
            models.Index(fields=["organization", "phone_digits"], name="pt_phone"),
            models.Index(fields=["organization", "email_lower"], name="pt_email"),
            models.Index(fields=["organization", "-created_at"], name="pt_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True)
                | Q(weight_kg__gte=MIN_WEIGHT_KG, weight_kg__lte=MAX_WEIGHT_KG),
                name="patient_weight_plausible",
            ),
            models.CheckConstraint(
                condition=Q(height_cm__isnull=True)
                | Q(height_cm__gte=MIN_HEIGHT_CM, height_cm__lte=MAX_HEIGHT_CM),
                name="patient_height_plausible",
            ),
            models.CheckConstraint(
                condition=Q(fitzpatrick__isnull=True) | Q(fitzpatrick__gte=1, fitzpatrick__lte=6),
                name="patient_fitzpatrick_range",
            ),
            models.CheckConstraint(
                condition=Q(sex__in=[s.value for s in Sex]), name="patient_sex_valid"
            ),
            models.CheckConstraint(
                condition=Q(contact_by__in=[c.value for c in ContactBy]),
                name="patient_contact_by_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_last = search_key(self.last_name)
        self.search_first = search_key(self.first_name)
        self.phone_digits = digits(self.phone)
        self.email_lower = self.email.lower()
        if kwargs.get("update_fields"):
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {
                "search_last",
                "search_first",
                "phone_digits",
                "email_lower",
            }
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def usual_site(self, user: Any) -> Any:
        """Where this patient is usually seen by `user`: their home site, else the user's
        first site by name (None if neither): the default of a form that asks for a site."""
        return self.home_site or user.sites.order_by("name").first()

    @property
    def age_years(self) -> int:
        return self.age_on(date.today())

    def age_on(self, day: date) -> int:
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


_E = TypeVar("_E", bound="HistoryEntry")


class ActiveEntries(OrgManager[_E]):
    def get_queryset(self) -> QuerySet[_E]:
        return super().get_queryset().filter(voided_at__isnull=True)


class HistoryEntry(VoidableRecord):
    """A dated, attributed line of a patient's history. Voided, never deleted."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    recorded_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects: ClassVar[OrgManager[Any]] = OrgManager()
    active = ActiveEntries()

    class Meta:
        abstract = True


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"
    ANAPHYLAXIS = "anaphylaxis", "Anaphylaxis"


class AllergyCoding(models.TextChoices):
    """How an allergy reached the rules engine: only a practitioner decides by hand."""

    RECOGNISED = "recognised", "Recognised"
    NEEDS_CODING = "needs_coding", "Needs coding"
    CODED = "coded", "Coded by a practitioner"
    NOT_APPLICABLE = "not_applicable", "Does not apply"


class Allergy(HistoryEntry):
    substance = models.CharField(
        max_length=60, blank=True, choices=vocab.ingredient_choices, help_text="From the formulary"
    )
    substance_text = models.CharField(
        max_length=200,
        blank=True,
        help_text="Anything else, as the patient says it: brand names (Xylocaine, EMLA), classes "
        "(local anaesthetics, NSAIDs), foods (soy, peanut). A text that is not recognised "
        "stops treatment until a practitioner codes it.",
    )
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=20, choices=Severity.choices, default=Severity.MODERATE)
    # Allergen slugs of the rules engine (ingredient slugs included) this allergy names:
    # resolved from the text on save, or added by a practitioner who codes it.
    coded = models.JSONField(default=list, blank=True, editable=False)
    coding = models.CharField(
        max_length=20,
        choices=AllergyCoding.choices,
        default=AllergyCoding.NEEDS_CODING,
        editable=False,
    )
    coding_reason = models.CharField(max_length=500, blank=True, editable=False)
    coded_at = models.DateTimeField(null=True, blank=True, editable=False)
    coded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        indexes = [models.Index(fields=["patient", "voided_at"], name="allergy_patient")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(substance="") | ~Q(substance_text=""), name="allergy_has_substance"
            )
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.coding in (AllergyCoding.RECOGNISED, AllergyCoding.NEEDS_CODING):
            self.resolve()
        super().save(*args, **kwargs)

    def resolve(self) -> None:
        """Match the substance and text to allergens; a text nobody recognises needs coding."""
        text = self.substance_text.strip()
        match = vocab.resolve_allergy(text) if text else None
        slugs = [self.substance] if self.substance else []
        self.coded = list(dict.fromkeys([*slugs, *(match.allergens if match else ())]))
        recognised = match.resolved if match else bool(self.substance)
        self.coding = AllergyCoding.RECOGNISED if recognised else AllergyCoding.NEEDS_CODING

    @property
    def label(self) -> str:
        if self.substance:
            name = vocab.ingredient_name(self.substance)
            return f"{name}, {self.substance_text}" if self.substance_text else name
        return self.substance_text

    @property
    def needs_coding(self) -> bool:
        return self.coding == AllergyCoding.NEEDS_CODING

    @property
    def does_not_apply(self) -> bool:
        return self.coding == AllergyCoding.NOT_APPLICABLE

    @property
    def allergen_slugs(self) -> set[str]:
        """What the rules engine stops for: an anaphylaxis also stops what a history of it does."""
        slugs = set(self.coded)
        if self.severity == Severity.ANAPHYLAXIS:
            slugs.add(vocab.ANAPHYLAXIS_HISTORY)
        return slugs

    @property
    def notes(self) -> list[str]:
        """For allergens no product contains: why they still matter (latex: gloves)."""
        return [note for note in map(vocab.allergen_note, self.coded) if note]

    @property
    def coded_names(self) -> list[str]:
        """The allergens in staff's words, leaving out what the label already says."""
        label = self.label.lower()
        slugs = list(self.coded)
        if self.severity == Severity.ANAPHYLAXIS:
            slugs = [s for s in slugs if s != vocab.ANAPHYLAXIS_HISTORY]  # the severity says it
        names = (vocab.allergen_name(slug) for slug in slugs)
        return [name for name in names if name.lower() not in label]


class NoKnownAllergies(HistoryEntry):
    """The patient was asked about allergies on ``recorded_on`` and has none.

    An empty allergy list alone does not say whether anyone asked. Recording an
    allergy later voids this entry (superseded), so the two never stand together.
    """

    class Meta:
        indexes = [models.Index(fields=["patient", "voided_at"], name="nka_patient")]
        verbose_name = "no known allergies"
        verbose_name_plural = "no known allergies"

    def __str__(self) -> str:
        return "No known allergies"


class Medication(HistoryEntry):
    name = models.CharField(max_length=200)
    dose = models.CharField(max_length=200, blank=True)
    # Recognised by the rules engine when saved: anticoagulant, antiplatelet, nsaid,
    # supplement; empty when the medicine is not recognised.
    drug_classes = models.JSONField(default=list, editable=False)

    class Meta:
        indexes = [models.Index(fields=["patient", "voided_at"], name="medication_patient")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.drug_classes = sorted(vocab.classify_medication(self.name))
        super().save(*args, **kwargs)

    @property
    def affects_bleeding(self) -> bool:
        return vocab.bleeding_risk(self.drug_classes)

    @property
    def recognised(self) -> bool:
        return bool(self.drug_classes)

    @property
    def class_names(self) -> list[str]:
        return [vocab.medication_class_name(c) for c in self.drug_classes]


class Condition(HistoryEntry):
    condition = models.CharField(max_length=60, choices=vocab.condition_choices)
    area = models.CharField(
        max_length=40, blank=True, choices=vocab.area_choices, help_text="For prior surgery"
    )
    notes = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "voided_at"], name="condition_patient")]

    def __str__(self) -> str:
        return self.get_condition_display()


class PregnancyState(models.TextChoices):
    NOT_PREGNANT = "not_pregnant", "Not pregnant, not breastfeeding"
    PREGNANT = "pregnant", "Pregnant"
    BREASTFEEDING = "breastfeeding", "Breastfeeding"
    POSSIBLY_PREGNANT = "possibly_pregnant", "Possibly pregnant"


class PregnancyStatus(HistoryEntry):
    """The newest non-voided entry is the patient's current status."""

    status = models.CharField(max_length=20, choices=PregnancyState.choices)
    confirmed_on = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["patient", "voided_at"], name="pregnancy_patient")]

    def __str__(self) -> str:
        return self.get_status_display()

    @property
    def is_alert(self) -> bool:
        return self.status != PregnancyState.NOT_PREGNANT


class SkinInfection(HistoryEntry):
    area = models.CharField(max_length=40, choices=vocab.area_choices)
    description = models.CharField(max_length=500)
    resolved_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "voided_at"], name="infection_patient")]

    def __str__(self) -> str:
        return f"{self.get_area_display()}: {self.description}"

    @property
    def is_active(self) -> bool:
        return self.resolved_on is None


class LifestyleFactor(HistoryEntry):
    factor = models.CharField(max_length=40, choices=vocab.lifestyle_choices)
    notes = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "voided_at"], name="lifestyle_patient")]

    def __str__(self) -> str:
        return self.get_factor_display()


class Concern(HistoryEntry):
    concern = models.CharField(max_length=40, choices=vocab.concern_choices)
    areas = models.JSONField(default=list, blank=True)
    goals = models.TextField(blank=True)
    expectations = models.TextField(blank=True, help_text="In the patient's own words")

    class Meta:
        indexes = [models.Index(fields=["patient", "voided_at"], name="concern_patient")]

    def __str__(self) -> str:
        return self.get_concern_display()

    def area_labels(self) -> list[str]:
        return [vocab.area_name(slug) for slug in self.areas]


class ChangeLog(OrgOwned):
    """Who changed what in a patient's record, with the values it had before.

    Unlike the audit log this holds previous values (it is part of the medical
    record), so only clinical roles may read it. Every clinical record also has a
    history table (`records.ClinicalRecord.history`); this log stays because the
    patient's change page reads it, with the reason of each change.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    object_type = models.CharField(max_length=40)
    object_id = models.UUIDField()
    action = models.CharField(max_length=10)  # create, change, void
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    previous = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "-changed_at"], name="changelog_patient")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"
