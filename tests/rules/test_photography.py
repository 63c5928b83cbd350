"""Standard photograph views: each area's views, what a course still lacks, which
protocols need them at baseline, and a bad data file named at load."""

import shutil
from pathlib import Path

import pytest

from mesoclinic.rules import RulesInputError, load_reference
from mesoclinic.rules.errors import ReferenceDataError
from mesoclinic.rules.loader import DATA_DIR
from mesoclinic.rules.photography import (
    baseline_required,
    load_photography,
    missing,
    view,
    views,
    views_for,
)


def names(found):
    return [v.name for v in found]


def test_every_area_is_photographed_in_standard_views():
    known = load_photography()
    assert set(known.by_area) == set(load_reference().areas)
    assert [v.slug for v in views()][:5] == [
        "face-front",
        "face-45-left",
        "face-45-right",
        "face-90-left",
        "face-90-right",
    ]
    assert known.source.section == "§5" and "never a clinical limit" in known.source.cites


def test_a_course_on_several_areas_needs_each_view_once_in_page_order():
    assert names(views_for(["submental", "jawline", "cheeks"])) == [
        "Face, front",
        "Face, 45° left",
        "Face, 45° right",
        "Face, 90° left (profile)",
        "Face, 90° right (profile)",
        "Submental, front, chin raised",
        "Submental, profile",
    ]
    assert names(views_for(["scalp"])) == [
        "Scalp, vertex",
        "Frontal hairline",
        "Hair-count target area (marked)",
    ]


def test_the_missing_views_are_those_without_a_photo():
    assert names(missing(["submental"], {"submental-front"})) == ["Submental, profile"]
    assert missing(["submental"], {"submental-front", "submental-profile", "face-front"}) == []
    assert len(missing(["thighs-outer"], set())) == 4


def test_unknown_areas_and_views_are_refused():
    with pytest.raises(RulesInputError):
        views_for(["elbow"])
    with pytest.raises(RulesInputError):
        view("selfie")


def test_aesthetic_protocols_need_baseline_views_and_pain_does_not():
    assert baseline_required("submental-deoxycholic")
    assert baseline_required("cellulite-mesotherapy")
    assert not baseline_required("pain-point-by-point")


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('hands = ["hands-back"]\n', "", "areas.hands: every area of areas.toml names"),
        ('back = ["body-back"]', 'back = ["body-rear"]', "unknown view 'body-rear'"),
        ('knees = ["body-front"]', 'knees = ["body-front"]\nelbows = ["body-front"]', "elbows"),
        ('"hair-cocktail",', '"hair-tonic",', "unknown protocol 'hair-tonic'"),
        ('source = "photo-views"', 'source = "hearsay"', "unknown source 'hearsay'"),
        ('region = "scalp"', 'region = "hair"', "expected one of"),
    ],
)
def test_a_bad_photography_file_is_named_at_load(data_copy, old, new, message):
    _edit(data_copy / "photography.toml", old, new)
    with pytest.raises(ReferenceDataError, match=message) as err:
        load_photography(data_copy)
    assert err.value.file == "photography.toml"
