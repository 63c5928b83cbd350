"""Outcome instruments (§5): scoring, refusals, improvement, responders, protocol outcomes."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesoclinic.rules import ReferenceDataError, RulesInputError, outcomes
from mesoclinic.rules.loader import DATA_DIR

HEXSEL_ITEMS = ("number", "depth", "morphology", "laxity", "nurnberger-muller")


@pytest.fixture(scope="module")
def inst() -> outcomes.Instruments:
    return outcomes.load_instruments()


def _i(slug: str) -> outcomes.Instrument:
    return outcomes.instrument(slug)


def _score(slug: str, value: object) -> outcomes.Score:
    return outcomes.score(_i(slug), {"value": value})


def _hexsel(*values: int) -> outcomes.Score:
    return outcomes.score(_i("hexsel-css"), dict(zip(HEXSEL_ITEMS, values, strict=True)))


def _refused(slug: str, answers: dict[str, object]) -> RulesInputError:
    with pytest.raises(RulesInputError) as err:
        outcomes.score(_i(slug), answers)
    return err.value


# -- the data -------------------------------------------------------------------------


def test_the_section_5_instruments_exist_and_cite_section_5(inst, ref):
    assert set(inst.instruments) == {
        "gais-clinician", "gais-patient", "hexsel-css", "nurnberger-muller", "cr-smfrs",
        "pr-smfrs", "glogau", "norwood", "ludwig", "hair-count", "pain-nrs", "satisfaction",
        "skin-elasticity", "skin-hydration", "skin-thickness", "symmetry-index",
    }  # fmt: skip
    for i in inst.instruments.values():
        assert i.source.section == "§5", i.slug
        assert ref.sources[i.source.id] == i.source
        assert i.version >= 1


def test_sources_without_a_section_5_figure_say_practice_default(inst):
    for slug in ("satisfaction", "pain-nrs", "skin-elasticity", "skin-hydration", "symmetry-index"):
        assert inst.instruments[slug].source.cites.startswith("practice default"), slug
    assert "measurement range" in inst.instruments["skin-hydration"].source.cites
    assert "not a plausible count" in inst.instruments["hair-count"].range_source.cites


def test_raters_directions_and_sides(inst):
    by = inst.instruments
    assert (by["cr-smfrs"].rater, by["pr-smfrs"].rater) == ("clinician", "patient")
    assert (by["gais-clinician"].rater, by["gais-patient"].rater) == ("clinician", "patient")
    assert by["satisfaction"].better == "higher" and by["hair-count"].better == "higher"
    assert by["pain-nrs"].better == "lower" and by["hexsel-css"].better == "lower"
    sided = {s for s, i in by.items() if i.sided}
    assert {"gais-clinician", "hexsel-css", "skin-thickness", "skin-elasticity"} <= sided
    assert not {"norwood", "ludwig", "pain-nrs"} & sided


def test_gais_stores_each_answers_code_beside_its_number(inst):
    options = inst.instruments["gais-patient"].options
    assert [(o.value, o.code) for o in options] == [
        (1, "very-much-improved"), (2, "much-improved"), (3, "improved"),
        (4, "no-change"), (5, "worse"),
    ]  # fmt: skip


# -- scoring --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "total", "band", "display"),
    [
        ((0, 0, 0, 0, 0), 0, None, "0 of 15"),
        ((1, 0, 0, 0, 0), 1, "mild", "1 of 15 (mild)"),
        ((1, 1, 1, 1, 1), 5, "mild", "5 of 15 (mild)"),
        ((2, 1, 1, 1, 1), 6, "moderate", "6 of 15 (moderate)"),
        ((2, 2, 2, 2, 2), 10, "moderate", "10 of 15 (moderate)"),
        ((3, 2, 2, 2, 2), 11, "severe", "11 of 15 (severe)"),
        ((3, 3, 3, 3, 3), 15, "severe", "15 of 15 (severe)"),
    ],
)
def test_hexsel_totals_and_bands(values, total, band, display):
    s = _hexsel(*values)
    assert (s.total, s.band, s.display) == (total, band, display)
    assert dict(s.answers) == dict(zip(HEXSEL_ITEMS, values, strict=True))


@pytest.mark.parametrize(
    ("slug", "answer", "value", "code", "display"),
    [
        ("gais-clinician", "improved", 3, "improved", "Improved"),
        ("gais-clinician", 3, 3, "improved", "Improved"),
        ("gais-patient", 1, 1, "very-much-improved", "Very much improved"),
        ("gais-patient", "worse", 5, "worse", "Worse"),
        ("nurnberger-muller", 0, 0, "0", "Grade 0"),
        ("nurnberger-muller", "II", 2, "II", "Grade II"),
        ("nurnberger-muller", 3, 3, "III", "Grade III"),
        ("cr-smfrs", 0, 0, "0", "Grade 0"),
        ("pr-smfrs", 4, 4, "4", "Grade 4"),
        ("glogau", "IV", 4, "IV", "Glogau IV"),
        ("norwood", 7, 7, "VII", "Norwood VII"),
        ("ludwig", "I", 1, "I", "Ludwig I"),
        ("satisfaction", "very-satisfied", 5, "very-satisfied", "Very satisfied"),
    ],
)
def test_grade_scales_score_by_number_or_code(slug, answer, value, code, display):
    s = _score(slug, answer)
    assert (s.total, s.code, s.display, dict(s.answers)) == (value, code, display, {"value": value})


def test_gais_by_code_and_by_number_are_the_same_score():
    assert _score("gais-clinician", "much-improved") == _score("gais-clinician", 2)


@pytest.mark.parametrize(
    ("slug", "value", "display"),
    [
        ("hair-count", 42, "42 hairs/cm²"),
        ("hair-count", 0, "0 hairs/cm²"),
        ("hair-count", 1000, "1000 hairs/cm²"),
        ("pain-nrs", 0, "0 of 10"),
        ("pain-nrs", 10, "10 of 10"),
        ("skin-elasticity", 0.65, "R2 0.65"),
        ("skin-hydration", 130, "130 AU"),
        ("skin-thickness", 1.8, "1.8 mm"),
    ],
)
def test_numeric_readings_display_with_their_unit(slug, value, display):
    s = _score(slug, value)
    assert (s.total, s.band, s.display) == (value, None, display)


def test_an_integer_scale_keeps_whole_numbers_given_as_floats():
    s = _score("hair-count", 42.0)
    assert s.total == 42 and isinstance(s.total, int)


# -- refusals -------------------------------------------------------------------------


def test_a_missing_hexsel_item_is_named():
    err = _refused("hexsel-css", {"number": 1, "morphology": 1, "laxity": 1})
    assert err.field == "hexsel-css.depth"
    assert "Depth of depressions" in err.message and "missing" in err.message


def test_four_on_a_zero_to_three_item_is_refused_in_plain_words():
    err = _refused("hexsel-css", {**dict.fromkeys(HEXSEL_ITEMS, 1), "depth": 4})
    assert (err.field, err.value) == ("hexsel-css.depth", 4)
    assert err.message == "Depth of depressions: choose 0, 1, 2 or 3."


@pytest.mark.parametrize("bad", [-1, 4, 1.5, True, "2", None, math.nan])
def test_hexsel_items_refuse_anything_but_0_to_3(bad):
    err = _refused("hexsel-css", {**dict.fromkeys(HEXSEL_ITEMS, 1), "laxity": bad})
    assert err.field == "hexsel-css.laxity"


def test_an_unknown_answer_key_is_refused_not_ignored():
    err = _refused("hexsel-css", {**dict.fromkeys(HEXSEL_ITEMS, 1), "dimples": 2})
    assert err.field == "hexsel-css.dimples"


@pytest.mark.parametrize(
    ("slug", "bad"),
    [
        ("hair-count", -1),
        ("hair-count", 1001),
        ("hair-count", 42.5),
        ("hair-count", math.nan),
        ("hair-count", math.inf),
        ("hair-count", "42"),
        ("hair-count", True),
        ("pain-nrs", 2.5),
        ("pain-nrs", 11),
        ("pain-nrs", True),
        ("skin-elasticity", 1.2),
        ("skin-elasticity", -0.1),
        ("skin-hydration", 131),
        ("skin-thickness", 10.5),
        ("skin-thickness", -math.inf),
    ],
)
def test_numeric_readings_refuse_impossible_values(slug, bad):
    err = _refused(slug, {"value": bad})
    assert err.field == f"{slug}.value" and err.value is bad


def test_a_hair_count_above_1000_is_not_plausible():
    err = _refused("hair-count", {"value": 1001})
    assert "from 0 to 1000" in err.message and "not a plausible count" in err.message


def test_a_half_point_of_pain_is_not_a_whole_number():
    assert "whole number" in _refused("pain-nrs", {"value": 2.5}).message


@pytest.mark.parametrize(
    ("slug", "bad"),
    [
        ("gais-clinician", 0),
        ("gais-clinician", 6),
        ("gais-clinician", "better"),
        ("gais-clinician", True),
        ("cr-smfrs", 5),
        ("norwood", 8),
        ("norwood", 0),
        ("ludwig", "IV"),
        ("glogau", 2.5),
        ("nurnberger-muller", "IIII"),
    ],
)
def test_grade_scales_refuse_answers_they_do_not_have(slug, bad):
    assert _refused(slug, {"value": bad}).field == f"{slug}.value"


def test_a_grade_refusal_lists_the_choices():
    err = _refused("gais-patient", {})
    assert "3 improved" in err.message and "missing" in err.message


# -- improvement and responders -------------------------------------------------------


def test_improvement_is_positive_when_a_lower_is_better_scale_falls():
    cr = _i("cr-smfrs")
    assert outcomes.improvement(cr, _score("cr-smfrs", 3), _score("cr-smfrs", 1)) == 2
    assert outcomes.improvement(cr, _score("cr-smfrs", 1), _score("cr-smfrs", 3)) == -2
    hexsel = _i("hexsel-css")
    assert outcomes.improvement(hexsel, _hexsel(3, 2, 2, 2, 2), _hexsel(1, 1, 1, 1, 1)) == 6


def test_improvement_is_positive_when_a_higher_is_better_reading_rises():
    hair = _i("hair-count")
    assert outcomes.improvement(hair, _score("hair-count", 40), _score("hair-count", 55)) == 15
    assert outcomes.improvement(hair, _score("hair-count", 55), _score("hair-count", 40)) == -15


@pytest.mark.parametrize(
    ("code", "grades"),
    [("very-much-improved", 3), ("much-improved", 2), ("improved", 1), ("no-change", 0),
     ("worse", -1)],
)  # fmt: skip
def test_gais_improvement_counts_grades_better_than_no_change(code, grades):
    gais = _i("gais-patient")
    assert outcomes.improvement(gais, None, _score("gais-patient", code)) == grades


def test_satisfaction_runs_the_other_way_from_gais():
    sat = _i("satisfaction")
    assert outcomes.improvement(sat, None, _score("satisfaction", "very-satisfied")) == 2
    assert outcomes.improvement(sat, None, _score("satisfaction", "dissatisfied")) == -1


def test_gais_has_no_baseline_and_other_scales_need_one():
    gais, cr = _i("gais-clinician"), _i("cr-smfrs")
    with pytest.raises(RulesInputError, match="no baseline"):
        outcomes.improvement(gais, _score("gais-clinician", 4), _score("gais-clinician", 3))
    with pytest.raises(RulesInputError, match="baseline is needed"):
        outcomes.improvement(cr, None, _score("cr-smfrs", 1))


def test_a_score_of_another_instrument_is_refused():
    with pytest.raises(RulesInputError) as err:
        outcomes.improvement(_i("cr-smfrs"), _score("cr-smfrs", 3), _score("pr-smfrs", 1))
    assert err.value.field == "later"


@pytest.mark.parametrize(
    ("before", "after", "one", "two"),
    [(3, 2, True, False), (3, 1, True, True), (4, 0, True, True), (2, 2, False, False),
     (1, 2, False, False)],
)  # fmt: skip
def test_cr_smfrs_one_and_two_grade_responders(before, after, one, two):
    cr = _i("cr-smfrs")
    base, later = _score("cr-smfrs", before), _score("cr-smfrs", after)
    assert outcomes.responder(cr, base, later) is one
    assert outcomes.responder(cr, base, later, grades=2) is two


@pytest.mark.parametrize(
    ("code", "one", "two"),
    [("very-much-improved", True, True), ("much-improved", True, True),
     ("improved", True, False), ("no-change", False, False), ("worse", False, False)],
)  # fmt: skip
def test_a_gais_responder_is_improved_or_better(code, one, two):
    gais = _i("gais-clinician")
    later = _score("gais-clinician", code)
    assert outcomes.responder(gais, None, later) is one
    assert outcomes.responder(gais, None, later, grades=2) is two


def test_a_hexsel_responder_counts_points_of_the_total():
    hexsel = _i("hexsel-css")
    base = _hexsel(2, 2, 2, 2, 2)
    assert outcomes.responder(hexsel, base, _hexsel(1, 2, 2, 2, 2)) is True
    assert outcomes.responder(hexsel, base, _hexsel(1, 2, 2, 2, 2), grades=2) is False
    assert outcomes.responder(hexsel, base, base) is False


@pytest.mark.parametrize("slug", ["pain-nrs", "hair-count", "skin-hydration", "skin-thickness"])
def test_measured_values_have_no_sourced_responder_threshold(slug):
    base, later = _score(slug, 8), _score(slug, 2)
    assert outcomes.responder(_i(slug), base, later) is None
    assert "no sourced responder threshold" in outcomes.NO_RESPONDER_THRESHOLD


def test_satisfaction_has_no_sourced_responder_threshold():
    sat = _i("satisfaction")
    assert outcomes.responder(sat, None, _score("satisfaction", "very-satisfied")) is None


@pytest.mark.parametrize("grades", [0, -1, True, 1.5])
def test_responder_grades_must_be_a_positive_whole_number(grades):
    cr = _i("cr-smfrs")
    with pytest.raises(RulesInputError):
        outcomes.responder(cr, _score("cr-smfrs", 3), _score("cr-smfrs", 1), grades=grades)


def test_has_grades_only_for_ordered_grade_scales(inst):
    graded = {s for s, i in inst.instruments.items() if outcomes.has_grades(i)}
    assert graded == {
        "gais-clinician", "gais-patient", "nurnberger-muller", "cr-smfrs", "pr-smfrs",
        "glogau", "norwood", "ludwig",
    }  # fmt: skip


@given(st.tuples(*[st.integers(0, 3)] * 5))
def test_any_valid_hexsel_answer_set_scores_0_to_15_in_its_band(values):
    s = _hexsel(*values)
    assert s.total == sum(values) and 0 <= s.total <= 15
    expected = None
    if 1 <= s.total <= 5:
        expected = "mild"
    elif 6 <= s.total <= 10:
        expected = "moderate"
    elif s.total >= 11:
        expected = "severe"
    assert s.band == expected
    assert s.display.startswith(f"{s.total} of 15")


# -- protocol outcomes ----------------------------------------------------------------


def test_every_protocol_has_outcomes_whose_instruments_exist(inst, ref):
    assert set(inst.protocol_outcomes) == set(ref.protocols)
    for slug, po in inst.protocol_outcomes.items():
        assert po.protocol == slug
        assert all(i in inst.instruments for i in po.instruments), slug
        assert po.timepoints[0] == "baseline" and "end" in po.timepoints, slug


def test_the_protocol_families_record_their_scales(inst):
    po = inst.protocol_outcomes
    assert po["cellulite-mesotherapy"].instruments == (
        "hexsel-css", "nurnberger-muller", "gais-patient",
    )  # fmt: skip
    assert po["submental-deoxycholic"].instruments == ("cr-smfrs", "pr-smfrs", "gais-patient")
    assert po["hair-prp"].primary == "hair-count"
    assert {"norwood", "ludwig"} <= set(po["hair-minoxidil"].secondary)
    assert po["pain-point-by-point"].instruments == ("pain-nrs", "satisfaction")
    assert po["skin-booster-ha"].primary == "gais-clinician"
    assert "glogau" in po["brightening-vitc-glutathione"].secondary
    # Facial symmetry is measured from landmarks on the frontal photo, then rated.
    for slug in ("symmetry-booster-ha", "symmetry-pcdc-face"):
        assert po[slug].instruments == ("symmetry-index", "gais-clinician", "gais-patient")


def test_pain_scores_are_only_for_pain_protocols(inst, ref):
    for slug, po in inst.protocol_outcomes.items():
        if "pain-nrs" in po.instruments:
            assert "pain" in ref.protocols[slug].concerns, slug


def test_unknown_slugs_are_refused_by_name():
    with pytest.raises(RulesInputError) as err:
        outcomes.instrument("vas-pain")
    assert err.value.field == "instrument"
    with pytest.raises(RulesInputError):
        outcomes.protocol_outcomes("botox")
    assert outcomes.protocol_outcomes("hair-prp").primary == "hair-count"


# -- bad data fails at load, naming the file and key ----------------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _load_error(data_dir: Path) -> ReferenceDataError:
    with pytest.raises(ReferenceDataError) as err:
        outcomes.load_instruments(data_dir)
    assert err.value.file == "instruments.toml"
    return err.value


def test_a_protocol_without_outcomes_fails_at_load(data_copy):
    _edit(data_copy / "instruments.toml", "[protocol_outcomes.hair-prp]", "[dropped.hair-prp]")
    err = _load_error(data_copy)
    assert err.field == "protocol_outcomes" and "hair-prp" in err.message


def test_an_unknown_instrument_in_a_protocol_fails_at_load(data_copy):
    _edit(data_copy / "instruments.toml", 'secondary = ["satisfaction"]', 'secondary = ["vas"]')
    err = _load_error(data_copy)
    assert err.field == "protocol_outcomes.pain-point-by-point.secondary"


def test_a_pain_score_outside_pain_protocols_fails_at_load(data_copy):
    old = 'primary = "gais-clinician"\nsecondary = ["gais-patient"]'
    _edit(data_copy / "instruments.toml", old, 'primary = "pain-nrs"\nsecondary = ["gais-patient"]')
    err = _load_error(data_copy)
    assert err.field.endswith(".primary") and "only for pain" in err.message


def test_a_protocol_must_record_baseline_and_end(data_copy):
    _edit(data_copy / "instruments.toml", 'timepoints = ["baseline", "each-session", "end"]',
          'timepoints = ["each-session", "end"]')  # fmt: skip
    err = _load_error(data_copy)
    assert err.field == "protocol_outcomes.pain-point-by-point.timepoints"


def test_gaps_in_a_grade_scale_fail_at_load(data_copy):
    _edit(data_copy / "instruments.toml", '{ value = 7, code = "VII"', '{ value = 8, code = "VII"')
    assert _load_error(data_copy).field == "instruments.norwood.options"


def test_an_unknown_source_fails_at_load(data_copy):
    _edit(data_copy / "instruments.toml", 'source = "glogau"', 'source = "hearsay"')
    err = _load_error(data_copy)
    assert err.field == "instruments.glogau.source" and "unknown source" in err.message


def test_a_band_beyond_the_total_fails_at_load(data_copy):
    _edit(data_copy / "instruments.toml", "low = 11, high = 15", "low = 11, high = 16")
    assert _load_error(data_copy).field == "instruments.hexsel-css.bands"
