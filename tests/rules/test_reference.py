"""The reference data loads, is complete, cites its sources, and bad files fail loudly."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from mesoclinic.rules import ReferenceDataError, load_reference
from mesoclinic.rules.layout import polygon_area
from mesoclinic.rules.loader import DATA_DIR

SECTION = re.compile(r"Clinical reference §[1-8]")


def test_every_data_file_has_a_version(ref):
    assert set(ref.versions) >= {"ingredients", "products", "techniques", "areas", "protocols"}
    assert all(isinstance(v, int) and v >= 1 for v in ref.versions.values())


def test_the_canonical_slugs_exist(ref):
    assert {
        "hyaluronic-acid", "vitamin-c", "b-complex", "glutathione", "l-carnitine",
        "collagenase", "lipase", "phosphatidylcholine", "deoxycholic-acid", "aminophylline",
        "glycerophosphocholine", "minoxidil", "dutasteride", "prp", "lidocaine",
        "lidocaine-epinephrine", "plant-extracts", "amino-acids", "minerals",
    } <= set(ref.ingredients)  # fmt: skip
    assert set(ref.techniques) == {
        "papule", "nappage", "point-by-point", "linear", "hypodermic",
        "electroporation", "ultrasound", "microdermabrasion",
    }  # fmt: skip
    assert set(ref.areas) == {
        "forehead", "periorbital", "cheeks", "nasolabial", "perioral", "jawline", "submental",
        "neck", "decolletage", "scalp", "arms", "abdomen", "flanks", "back", "buttocks",
        "thighs-outer", "thighs-inner", "knees", "hands",
    }  # fmt: skip
    assert set(ref.concerns) == {
        "skin-rejuvenation", "hair-loss", "cellulite", "localized-fat", "texture",
        "facial-symmetry", "pain",
    }  # fmt: skip
    assert {
        "hair-minoxidil", "hair-prp", "hair-dutasteride", "submental-deoxycholic",
        "body-lipolysis-pcdc", "skin-booster-ha", "brightening-vitc-glutathione",
        "cellulite-mesotherapy", "electroporation-needle-free", "pain-point-by-point",
    } <= set(ref.protocols)  # fmt: skip


def test_every_concern_has_a_protocol(ref):
    for concern in ref.concerns:
        assert ref.protocols_for(concern), concern


def test_every_source_points_at_a_section_of_clinical_reference(ref):
    for source in ref.sources.values():
        assert SECTION.match(source.text), source


def test_every_limit_cites_a_graded_source(ref):
    for ing in ref.ingredients.values():
        for lim in ing.limits:
            assert lim.grade in {"A", "B", "C"}
            assert SECTION.search(lim.source.text)


def test_injection_depths_stay_inside_the_seeds_1_to_10_mm(ref):
    assert ref.depth_bounds_mm == (1.0, 10.0)
    for tech in ref.techniques.values():
        if tech.injection:
            assert 1.0 <= tech.depth_min_mm <= tech.depth_max_mm <= 10.0


def test_point_by_point_deep_value_is_clamped_with_a_note(ref):
    tech = ref.techniques["point-by-point"]
    assert tech.depth_max_mm == 10.0
    assert any("12 mm" in note and "10 mm" in note for note in tech.notes)


def test_needle_free_techniques_have_no_depth_or_points(ref):
    for slug in ("electroporation", "ultrasound", "microdermabrasion"):
        tech = ref.techniques[slug]
        assert not tech.injection
        assert tech.depth_min_mm is None and tech.spacing_mm is None


def test_section_2_depth_ranges(ref):
    t = ref.techniques
    assert (t["papule"].depth_min_mm, t["papule"].depth_max_mm) == (1.0, 2.0)
    assert (t["nappage"].depth_min_mm, t["nappage"].depth_max_mm) == (2.0, 4.0)
    assert (t["point-by-point"].depth_min_mm, t["point-by-point"].depth_max_mm) == (4.0, 10.0)
    assert t["hypodermic"].depth_max_mm == 10.0


def test_outline_area_matches_the_default_surface(ref):
    for area in ref.areas.values():
        drawn = polygon_area(area.outline) / 100
        assert drawn == pytest.approx(area.default_cm2, rel=0.05), area.slug


def test_paired_areas_are_the_ones_the_issue_lists(ref):
    paired = {a.slug for a in ref.areas.values() if a.paired}
    assert paired == {
        "cheeks", "nasolabial", "periorbital", "jawline", "arms", "flanks", "buttocks",
        "thighs-outer", "thighs-inner", "knees", "hands",
    }  # fmt: skip


def test_mirrored_outline_lies_on_the_other_side_of_the_midline(ref):
    cheeks = ref.areas["cheeks"]
    mid = cheeks.view.midline_x_mm
    assert max(x for x, _ in cheeks.outline) < mid
    assert min(x for x, _ in cheeks.mirror(cheeks.outline)) > mid


def test_submental_keeps_clear_of_the_nerve_and_glands(ref):
    area = ref.areas["submental"]
    assert "marginal mandibular nerve" in area.structures
    assert {"salivary glands", "lymph nodes", "muscle"} <= set(area.structures)
    assert area.keep_clear and all(k.margin_mm == 15 and k.grade == "A" for k in area.keep_clear)


def test_products_include_the_demo_catalogue(ref):
    p = ref.products
    assert p["deoxycholic-10mg-2ml"].contents == {"deoxycholic-acid": 10.0}
    assert p["deoxycholic-10mg-2ml"].vial_ml == 2.0
    assert dict(p["pcdc-5ml"].contents) == {"phosphatidylcholine": 50.0, "deoxycholic-acid": 25.0}
    assert "lidocaine" in p["ha-booster-lidocaine-3ml"].contents
    assert p["minoxidil-05pct-5ml"].contents == {"minoxidil": 5.0}


def test_minoxidil_protocol_has_the_phased_schedule(ref):
    phases = [(p.sessions, p.interval_days) for p in ref.protocols["hair-minoxidil"].phases]
    assert phases == [(4, 7), (2, 14), (4, 30)]


def test_grade_c_protocols_are_practice_defaults(ref):
    assert ref.protocols["skin-booster-ha"].practice_default
    assert not ref.protocols["submental-deoxycholic"].practice_default


def test_the_packaged_loader_is_cached(ref):
    assert load_reference() is load_reference()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_copy_of_the_data_loads_from_another_directory(data_copy):
    assert set(load_reference(data_copy).ingredients) == set(load_reference().ingredients)


def test_a_non_numeric_limit_names_file_and_field(data_copy):
    _edit(data_copy / "ingredients.toml", "value = 300", 'value = "three hundred"')
    with pytest.raises(ReferenceDataError) as err:
        load_reference(data_copy)
    assert err.value.file == "ingredients.toml"
    assert err.value.field == "ingredients.lidocaine.limits[1].value"


def test_an_unknown_source_is_refused(data_copy):
    _edit(data_copy / "products.toml", 'source = "kybella-label"', 'source = "hearsay"')
    with pytest.raises(ReferenceDataError, match="products.toml: .*source: unknown source"):
        load_reference(data_copy)


def test_a_missing_version_is_refused(data_copy):
    _edit(data_copy / "pricing.toml", "version = 1\n", "")
    with pytest.raises(ReferenceDataError) as err:
        load_reference(data_copy)
    assert (err.value.file, err.value.field) == ("pricing.toml", "version")


def test_broken_toml_is_refused(data_copy):
    (data_copy / "areas.toml").write_text("version = 1\n[areas\n")
    with pytest.raises(ReferenceDataError, match="areas.toml: -: not valid TOML"):
        load_reference(data_copy)


def test_a_depth_beyond_10_mm_is_refused(data_copy):
    _edit(
        data_copy / "techniques.toml",
        "depth_max_mm = 10.0\ndepth_default_mm = 4.0",
        "depth_max_mm = 12.0\ndepth_default_mm = 4.0",
    )
    with pytest.raises(ReferenceDataError, match="techniques.toml: techniques.point-by-point"):
        load_reference(data_copy)


def test_an_outline_that_disagrees_with_its_area_is_refused(data_copy):
    _edit(data_copy / "areas.toml", "default_cm2 = 50.4", "default_cm2 = 90.0")
    with pytest.raises(ReferenceDataError, match="areas.submental.default_cm2"):
        load_reference(data_copy)


def test_phases_that_do_not_add_up_are_refused(data_copy):
    phase = "{ sessions = 2, interval_days = 14 }"
    _edit(data_copy / "protocols.toml", phase, phase.replace("2", "3", 1))
    with pytest.raises(ReferenceDataError, match="protocols.hair-minoxidil.phases"):
        load_reference(data_copy)


def test_a_missing_file_is_named(data_copy):
    (data_copy / "medications.toml").unlink()
    with pytest.raises(ReferenceDataError, match="medications.toml"):
        load_reference(data_copy)


def test_sources_name_the_seed_documents_by_title_not_by_file_number(ref):
    """A practitioner reads "the mesotherapy overview", never "seed 000"."""
    for source in ref.sources.values():
        assert not re.search(r"\bseeds? \d{3}", source.text), source.id
        assert ".md" not in source.text and "cm2" not in source.text, source.id
