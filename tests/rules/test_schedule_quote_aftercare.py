"""Dates, prices and aftercare: what the patient takes home."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoclinic.rules import load_reference
from mesoclinic.rules.quote import product_cost

from .helpers import START

BASE_SHEET = [
    "Drink about 80 oz of water on the day of treatment and ten glasses a day until the course "
    "is complete.",
    "No hot baths or showers for 48 hours; after that, baths of at most 15 minutes.",
    "No vigorous exercise for 48 hours.",
    "Arnica cream 3-4 times a day for 2-3 days for bruising.",
    "Healing gel, sunscreen and medical concealer are applied right after treatment.",
]


def test_areas_due_the_same_day_share_a_visit(plan_for):
    plan = plan_for("hair-loss:scalp:hair-prp", "localized-fat:submental")
    first = plan.schedule[0]
    assert first.date == START and set(first.areas) == {"scalp", "submental"}
    dates = [s.date for s in plan.schedule]
    assert dates == sorted(set(dates))
    assert [s.session for s in plan.schedule] == list(range(1, len(dates) + 1))


def test_extra_sessions_continue_at_the_last_pace(plan_for):
    plan = plan_for("hair-loss:scalp:hair-minoxidil", sessions=12)
    offsets = [(s.date - START).days for s in plan.schedule]
    assert offsets[-3:] == [169, 199, 229]


def test_lipolysis_has_a_follow_up_two_weeks_after_each_session(plan_for):
    plan = plan_for("localized-fat:abdomen:body-lipolysis-pcdc")
    assert [f.date for f in plan.follow_ups] == [
        s.date + dt.timedelta(days=14) for s in plan.schedule
    ]
    assert "practice default" in plan.follow_ups[0].source


def test_quote_is_a_range_in_usd(plan_for):
    quote = plan_for("skin-rejuvenation:cheeks:skin-booster-ha").quote
    assert quote.currency == "USD"
    assert 0 < quote.low <= quote.high


def test_quote_grows_with_the_number_of_areas(plan_for):
    one = plan_for("skin-rejuvenation:cheeks:skin-revitalising-nappage").quote
    two = plan_for(
        "skin-rejuvenation:cheeks:skin-revitalising-nappage",
        "skin-rejuvenation:forehead:skin-revitalising-nappage",
    ).quote
    assert two.low > one.low and two.high > one.high


def test_a_session_opens_whole_vials():
    ref = load_reference()
    assert product_cost(ref, ["deoxycholic-10mg-2ml"], 9.4) == 5 * 600
    assert product_cost(ref, ["deoxycholic-10mg-2ml"], 10.0) == 5 * 600
    assert product_cost(ref, ["deoxycholic-10mg-2ml"], 0) == 0


def test_a_custom_formula_says_its_products_are_not_priced(plan_for):
    quote = plan_for("localized-fat:submental", formula={"deoxycholic-acid": 10}).quote
    assert any("priced separately" in n for n in quote.notes)


def test_every_plan_carries_the_seed_000_base_sheet(plan_for):
    for treat in (
        "localized-fat:submental",
        "skin-rejuvenation:cheeks:electroporation-needle-free",
    ):
        aftercare = plan_for(treat).aftercare
        assert list(aftercare[:5]) == BASE_SHEET
        assert "Seek care at once for intense pain or signs of infection." in aftercare


def test_ibuprofen_is_mentioned_for_injections_only(plan_for):
    line = "Ibuprofen may be used for swelling."
    assert line in plan_for("localized-fat:submental").aftercare
    assert line not in plan_for("skin-rejuvenation:cheeks:electroporation-needle-free").aftercare


def test_deoxycholic_aftercare_quotes_the_label_frequencies(plan_for):
    aftercare = " ".join(plan_for("localized-fat:submental").aftercare)
    assert "87%" in aftercare and "72%" in aftercare


def test_no_scalp_washing_rule_is_invented(plan_for):
    aftercare = " ".join(plan_for("hair-loss:scalp:hair-minoxidil").aftercare).lower()
    assert "wash" not in aftercare


def test_quote_lines_and_visit_fees_add_up_to_the_range(plan_for):
    quote = plan_for(
        "skin-rejuvenation:cheeks:skin-booster-ha", "hair-loss:scalp:hair-minoxidil"
    ).quote
    cheeks, scalp = quote.lines
    assert (cheeks.area, cheeks.sides, cheeks.products) == ("cheeks", 2, ("ha-noncrosslinked-2ml",))
    assert cheeks.product_cost == 260  # 2 mL used: one syringe
    assert (scalp.sessions_min, scalp.sessions_max) == (10, 10)
    assert quote.visit_fee.visits_min == 10 and quote.visit_fee.visits_max == 12
    assert quote.low == pytest.approx(
        sum(line.course_low for line in quote.lines) + quote.visit_fee.low
    )
    assert quote.high == pytest.approx(
        sum(line.course_high for line in quote.lines) + quote.visit_fee.high
    )
