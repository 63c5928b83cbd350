"""Choices for treatment records, from the rules engine and clinical-reference §5-§6."""

from collections.abc import Iterable

from django.db import models

from mesoclinic import rules


def product_choices() -> list[tuple[str, str]]:
    return sorted(
        ((p.slug, p.name) for p in rules.load_reference().products.values()), key=lambda c: c[1]
    )


def technique_choices() -> list[tuple[str, str]]:
    return [(t.slug, t.name) for t in rules.load_reference().techniques.values()]


class PregnancyAnswer(models.TextChoices):
    """The pre-treatment check's pregnancy question, as answered on the day."""

    NO = "no", "Neither"
    PREGNANT = "pregnant", "Pregnant or possibly pregnant"
    BREASTFEEDING = "breastfeeding", "Breastfeeding"
    # A patient recorded as male is not asked (the question is not shown).
    NOT_ASKED = "not-asked", "Not asked: recorded as male"


def nothing_new(sex: str) -> str:
    """The pregnancy answer of a day with nothing new: "Neither", or not asked of a
    patient recorded as male ("M", as `patients.Sex.MALE`)."""
    return PregnancyAnswer.NOT_ASKED if sex == "M" else PregnancyAnswer.NO


class AdverseEventType(models.TextChoices):
    """clinical-reference.md §6: documented adverse events."""

    SWELLING = "swelling", "Swelling / oedema"
    BRUISING = "bruising", "Bruising / haematoma"
    REDNESS = "redness", "Redness"
    ITCHING = "itching", "Itching"
    PAIN = "pain", "Pain"
    NODULES = "nodules", "Nodules"
    INFECTION = "infection", "Infection (incl. atypical mycobacterial)"
    ALLERGIC_REACTION = "allergic-reaction", "Allergic reaction"
    PANNICULITIS = "panniculitis", "Panniculitis"
    ECZEMATOUS = "eczematous-reaction", "Eczematous / purpuric reaction"
    ALOPECIA = "alopecia", "Alopecia"
    NERVE_INJURY = "nerve-injury", "Nerve injury / neuropraxia"
    VASCULAR_OCCLUSION = "vascular-occlusion", "Vascular occlusion"
    NECROSIS = "necrosis", "Skin necrosis"
    ULCERATION = "ulceration", "Ulceration"
    DYSPHAGIA = "dysphagia", "Dysphagia"
    SCARRING = "scarring", "Scarring"
    PIH = "hyperpigmentation", "Post-inflammatory hyperpigmentation"
    SYSTEMIC = "systemic", "Systemic effects (liver, kidney)"
    OTHER = "other", "Other"


class CtcaeGrade(models.IntegerChoices):
    """CTCAE v5 (clinical-reference §5)."""

    MILD = 1, "1: mild"
    MODERATE = 2, "2: moderate"
    SEVERE = 3, "3: severe"
    LIFE_THREATENING = 4, "4: life-threatening"
    DEATH = 5, "5: death"


# CTCAE v5 "injection site reaction" (clinical-reference §8), shown beside the grade.
INJECTION_SITE_GRADES = {
    1: "tenderness with or without warmth, erythema, itching",
    2: "pain, lipodystrophy, oedema, phlebitis",
    3: "ulceration or necrosis, severe tissue damage, operative intervention indicated",
    4: "life-threatening, urgent intervention indicated",
    5: "death",
}


class Seriousness(models.TextChoices):
    """ICH E2A seriousness criteria (clinical-reference §8). Values are AdverseEvent fields."""

    DEATH = "death", "Results in death"
    LIFE_THREATENING = "life_threatening", "Is life-threatening"
    HOSPITALISATION = "hospitalisation", "Requires or prolongs hospitalisation"
    DISABILITY = "disability", "Results in persistent or significant disability"
    CONGENITAL_ANOMALY = "congenital_anomaly", "Is a congenital anomaly or birth defect"
    MEDICALLY_IMPORTANT = "medically_important", "Is otherwise medically important"


# Serious whatever the grade or criteria: the clinic's own rule (issue 5), on top of ICH E2A.
ALWAYS_SERIOUS = {
    AdverseEventType.INFECTION,
    AdverseEventType.NERVE_INJURY,
    AdverseEventType.VASCULAR_OCCLUSION,
    AdverseEventType.NECROSIS,
}
SERIOUS_FROM_GRADE = CtcaeGrade.LIFE_THREATENING
ALLERGY_SERIOUS_FROM_GRADE = CtcaeGrade.SEVERE


def is_serious(event_type: str, grade: int, criteria: Iterable[str] = ()) -> bool:
    """ICH E2A: any seriousness criterion, or CTCAE grade 4 or 5. Also, always: infection,
    nerve injury, vascular occlusion, necrosis, and an allergic reaction of grade 3+.

    The database constraint ``ae_serious_per_ich_e2a`` (models.AdverseEvent) says the same.
    """
    if any(criteria) or grade >= SERIOUS_FROM_GRADE or event_type in ALWAYS_SERIOUS:
        return True
    return event_type == AdverseEventType.ALLERGIC_REACTION and grade >= ALLERGY_SERIOUS_FROM_GRADE
