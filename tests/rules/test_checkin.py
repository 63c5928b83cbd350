"""The patient's check-in after a treatment: each symptom's urgency from the data file,
the most urgent one deciding, intense pain raising a routine symptom, every red flag
with its source, and bad input or a bad data file refused by name."""

import shutil

import pytest

from mesoclinic.rules import RulesInputError
from mesoclinic.rules.checkin import URGENCIES, load_checkin, triage
from mesoclinic.rules.errors import ReferenceDataError
from mesoclinic.rules.loader import DATA_DIR


def test_common_side_effects_are_routine_and_raise_no_flag():
    found = triage(["swelling", "bruising", "redness", "itching"], severity=3)
    assert found.urgency == "routine" and not found.is_red_flag and found.red_flags == ()


@pytest.mark.parametrize(
    ("symptoms", "urgency"),
    [
        (["spreading-redness"], "today"),
        (["pus"], "today"),
        (["fever"], "today"),
        (["swallowing"], "today"),
        (["blanching"], "emergency"),
        (["vision"], "emergency"),
        (["breathing"], "emergency"),
        (["swelling", "fever", "vision"], "emergency"),
    ],
)
def test_signs_of_infection_and_of_a_blocked_vessel_are_red_flags(symptoms, urgency):
    found = triage(symptoms, severity=2)
    assert found.urgency == urgency and found.is_red_flag
    assert found.red_flags[0].urgency == urgency  # the most urgent is named first


def test_intense_pain_is_a_red_flag_and_mild_pain_is_not():
    assert triage(["pain"], severity=6).urgency == "routine"
    severe = triage(["pain"], severity=7)
    assert severe.urgency == "today"
    assert [s.id for s in severe.sources] == ["seed-004-aftercare"]
    assert triage(["pain"]).urgency == "routine"  # not rated: as reported


def test_every_symptom_cites_a_source_and_every_red_flag_its_reason():
    checkin = load_checkin()
    assert len(checkin.symptoms) >= 15
    for symptom in checkin.symptoms.values():
        assert symptom.source.section.startswith("§") and symptom.label
        assert symptom.urgency in URGENCIES
    found = triage(["fever", "blanching"])
    assert {s.id for s in found.sources} == {"seed-004-aftercare", "filler-vascular"}


@pytest.mark.parametrize(
    ("symptoms", "severity", "field"),
    [(["unknown-thing"], None, "symptoms"), (["pain"], 11, "severity"), (["pain"], -1, "severity")],
)
def test_bad_input_is_refused_by_field(symptoms, severity, field):
    with pytest.raises(RulesInputError) as refused:
        triage(symptoms, severity)
    assert refused.value.field == field


def test_a_symptom_citing_an_unknown_source_fails_at_load(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "checkin.toml"
    path.write_text(path.read_text().replace('source = "seed-side-effects"', 'source = "x"', 1))
    with pytest.raises(ReferenceDataError) as refused:
        load_checkin(data)
    assert "unknown source 'x'" in str(refused.value)
