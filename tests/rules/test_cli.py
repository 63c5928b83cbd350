"""The command line: JSON shape and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mesoclinic.rules.cli import main

JSON_KEYS = {"hard_stops", "warnings", "areas", "doses", "schedule", "quote", "aftercare"}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_documented_shape(capsys):
    code, out, err = run(
        capsys,
        "--treat", "localized-fat:submental", "--weight-kg", "70", "--sex", "F",
        "--birth-date", "1985-04-01", "--start", "2026-03-02", "--json",
    )  # fmt: skip
    assert code == 0 and err == ""
    data = json.loads(out)
    assert set(data) >= JSON_KEYS
    area = data["areas"][0]
    assert {
        "concern", "area", "protocol", "technique", "depth_mm", "spacing_mm", "points",
        "volume_per_point_ml", "total_volume_ml",
    } <= set(area)  # fmt: skip
    assert area["protocol"] == "submental-deoxycholic"
    assert all(len(p) == 2 for p in area["points"])
    dose = data["doses"][0]
    assert {"ingredient", "mg_per_session", "limit_mg", "limit_source"} <= set(dose)
    assert data["schedule"][0] == {"session": 1, "date": "2026-03-02", "areas": ["submental"]}
    assert set(data["quote"]) >= {"currency", "low", "high"}
    assert all(isinstance(line, str) for line in data["aftercare"])


def test_a_refusal_is_an_answer_with_exit_0(capsys):
    code, out, _ = run(
        capsys, "--treat", "localized-fat:submental", "--weight-kg", "70", "--pregnant", "--json"
    )
    assert code == 0
    stops = json.loads(out)["hard_stops"]
    assert {"code", "message", "source"} <= set(stops[0])
    assert "PREGNANCY" in [s["code"] for s in stops]


def test_the_cli_carries_every_profile_option(capsys):
    code, out, _ = run(
        capsys,
        "plan", "--treat", "cellulite:thighs-outer", "--treat", "pain:back:pain-point-by-point",
        "--weight-kg", "64", "--allergy", "aminophylline", "--medication", "Xarelto",
        "--condition", "smoking", "--infection", "back", "--fitzpatrick", "V",
        "--area-cm2", "back=300", "--side", "thighs-outer=left", "--json",
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert {s["code"] for s in data["hard_stops"]} == {"ALLERGY", "SITE_INFECTION"}
    assert {"ANTICOAGULANT", "CELLULITE_TRIGGER", "FITZPATRICK_PIH"} <= {
        w["code"] for w in data["warnings"]
    }
    assert [(a["area"], a["side"]) for a in data["areas"]] == [
        ("thighs-outer", "left"),
        ("back", None),
    ]
    assert data["areas"][1]["area_cm2"] == 300


def test_a_formula_and_an_override(capsys):
    code, out, _ = run(
        capsys,
        "--treat", "localized-fat:abdomen:body-lipolysis-pcdc", "--weight-kg", "80",
        "--formula", "phosphatidylcholine=50,deoxycholic-acid=25", "--area-cm2", "abdomen=1000",
        "--pregnant", "--override", "DOSE_LIMIT=documented protocol",
        "--override", "PREGNANCY@abdomen=not pregnant any more, record corrected",
        "--confirmed-by", "Dr Second", "--json",
    )  # fmt: skip
    data = json.loads(out)
    assert code == 0 and data["hard_stops"] == []
    assert [o["status"] for o in data["overrides"]] == ["applied", "applied"]
    assert {f["code"] for f in data["overridden"]} >= {"DOSE_LIMIT", "PREGNANCY"}


def test_readable_output_lists_stops_and_aftercare(capsys):
    code, out, _ = run(capsys, "--treat", "localized-fat:submental", "--weight-kg", "70",
                       "--area-cm2", "submental=80")  # fmt: skip
    assert code == 0
    assert "HARD STOPS" in out and "INJECTION_COUNT_LIMIT" in out
    assert "50 injections" in out and "AFTERCARE" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["--treat", "localized-fat:submental", "--weight-kg", "0"],
        ["--treat", "localized-fat:elbow", "--weight-kg", "70"],
        ["--treat", "submental", "--weight-kg", "70"],
        ["--weight-kg", "70"],
        ["--treat", "localized-fat:submental", "--birth-date", "2999-01-01"],
        ["--treat", "localized-fat:submental", "--formula", "lidocaine"],
        ["--treat", "localized-fat:submental", "--override", "DOSE_LIMIT="],
    ],
)
def test_invalid_input_exits_2_with_one_line(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("mesoclinic plan: error:")


def test_python_dash_m_runs_without_django():
    result = subprocess.run(
        [sys.executable, "-c", "import sys, runpy; sys.argv = ['x', 'plan', '--treat', "
         "'hair-loss:scalp', '--weight-kg', '70', '--json']; "
         "runpy.run_module('mesoclinic.rules', run_name='__main__')"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["areas"][0]["protocol"] == "hair-minoxidil"


def test_the_rules_package_imports_no_django():
    code = (
        "import sys, mesoclinic.rules, mesoclinic.rules.cli; "
        "from mesoclinic.rules import build_plan, load_reference; load_reference(); "
        "sys.exit(1 if any(m == 'django' or m.startswith('django.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize(
    ("written", "mg_per_ml"),
    [("10", 10.0), ("10mg/ml", 10.0), ("10 mg/mL", 10.0), ("1%", 10.0), ("2 %", 20.0),
     ("500 mcg/mL", 0.5)],
)  # fmt: skip
def test_strengths_are_read_as_clinicians_write_them(capsys, written, mg_per_ml):
    code, out, _ = run(
        capsys, "--treat", "pain:back", "--weight-kg", "70", "--formula", f"lidocaine={written}",
        "--json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["areas"][0]["formula_mg_per_ml"] == {"lidocaine": mg_per_ml}


def test_a_strength_in_unknown_units_exits_2_naming_it_and_the_units(capsys):
    code, _, err = run(capsys, "--treat", "pain:back", "--formula", "lidocaine=10 mg")
    assert code == 2 and "'10 mg'" in err and "1% (w/v)" in err and "mcg/mL" in err


def test_the_command_line_sums_plain_lidocaine_and_with_epinephrine(capsys):
    code, out, _ = run(
        capsys, "--treat", "pain:back", "--treat", "pain:buttocks", "--weight-kg", "100",
        "--formula", "lidocaine=9,lidocaine-epinephrine=15", "--json",
    )  # fmt: skip
    assert code == 0
    stops = json.loads(out)["hard_stops"]
    assert any(f["code"] == "DOSE_LIMIT" and "781.2 mg" in f["message"] for f in stops)


def test_a_prior_session_of_an_ingredient_counts_for_the_interval(capsys):
    code, out, _ = run(
        capsys, "--treat", "localized-fat:submental", "--weight-kg", "70",
        "--start", "2026-12-02", "--prior-session", "deoxycholic-acid=2026-11-22", "--json",
    )  # fmt: skip
    assert code == 0
    stops = json.loads(out)["hard_stops"]
    assert any(f["code"] == "INTERVAL_TOO_SHORT" and "22 Nov 2026" in f["message"] for f in stops)


def test_a_prior_session_of_something_unknown_exits_2(capsys):
    code, _, err = run(capsys, "--treat", "pain:back", "--prior-session", "unobtainium=2026-01-01")
    assert code == 2 and "'unobtainium'" in err


def test_the_age_and_birth_date_are_checked(capsys):
    code, out, _ = run(
        capsys, "--treat", "localized-fat:submental", "--weight-kg", "60", "--age", "16",
        "--json",
    )  # fmt: skip
    assert code == 0
    assert "AGE_BELOW_LABEL" in {f["code"] for f in json.loads(out)["hard_stops"]}


def test_a_male_patient_cannot_be_pregnant(capsys):
    code, _, err = run(capsys, "--treat", "pain:back", "--sex", "M", "--pregnant")
    assert code == 2 and "male" in err


def test_a_pregnancy_override_without_a_second_practitioner_is_refused(capsys):
    code, out, _ = run(
        capsys, "--treat", "hair-loss:scalp", "--pregnant",
        "--override", "PREGNANCY=obstetrician agreed in writing", "--json",
    )  # fmt: skip
    data = json.loads(out)
    assert code == 0 and "PREGNANCY" in {f["code"] for f in data["hard_stops"]}
    assert data["overrides"][0]["status"] == "refused"
    assert "second practitioner" in data["overrides"][0]["detail"]


def test_an_allergy_by_brand_name_is_resolved_and_stops(capsys):
    code, out, _ = run(
        capsys, "--treat", "pain:back", "--weight-kg", "70", "--allergy", "Xylocaine", "--json"
    )
    assert code == 0
    assert "ALLERGY" in {f["code"] for f in json.loads(out)["hard_stops"]}


def test_an_allergy_nothing_matches_exits_2_naming_it(capsys):
    code, _, err = run(capsys, "--treat", "pain:back", "--allergy", "unobtainium")
    assert code == 2 and "'unobtainium'" in err


def test_cosmetic_filler_under_18_is_refused_in_england(capsys):
    argv = ["--treat", "skin-rejuvenation:cheeks", "--product", "ha-noncrosslinked-2ml",
            "--weight-kg", "55", "--age", "16", "--json"]  # fmt: skip
    code, out, _ = run(capsys, *argv, "--jurisdiction", "GB-ENG")
    england = {f["code"]: f for f in json.loads(out)["hard_stops"]}
    assert code == 0 and not england["AGE_BELOW_LABEL"]["overridable"]
    _, out, _ = run(capsys, *argv)
    elsewhere = {f["code"]: f for f in json.loads(out)["hard_stops"]}
    assert "AGE_BELOW_LABEL" not in elsewhere and elsewhere["MINOR"]["overridable"]
