"""Choices for treatment records, from the rules engine and clinical-reference §5-§6."""

from django.db import models

from mesoclinic import rules


def product_choices() -> list[tuple[str, str]]:
    return sorted(
        ((p.slug, p.name) for p in rules.load_reference().products.values()), key=lambda c: c[1]
    )


def technique_choices() -> list[tuple[str, str]]:
    return [(t.slug, t.name) for t in rules.load_reference().techniques.values()]


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


ALWAYS_SERIOUS = {
    AdverseEventType.INFECTION,
    AdverseEventType.NERVE_INJURY,
    AdverseEventType.VASCULAR_OCCLUSION,
    AdverseEventType.NECROSIS,
}


def is_serious(event_type: str, grade: int) -> bool:
    """Issue 5's rule: infection, allergy of grade 3+, nerve injury, occlusion, necrosis."""
    if event_type in ALWAYS_SERIOUS:
        return True
    return event_type == AdverseEventType.ALLERGIC_REACTION and grade >= CtcaeGrade.SEVERE
