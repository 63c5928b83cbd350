"""Every CSV export neutralises cells a spreadsheet would run as formulas."""

import csv
import io

import pytest

from mesoclinic import spreadsheet


@pytest.mark.parametrize(
    "text", ["=1+1", "+SUM(A1)", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("x")']
)
def test_formula_looking_text_is_shown_as_text(text):
    assert spreadsheet.cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-0.5", "-12", "+3", "Anna", "", 4, -1.25, None])
def test_numbers_and_plain_text_are_left_alone(value):
    assert spreadsheet.cell(value) == value


def test_writers_apply_it_to_every_cell():
    out = io.StringIO()
    spreadsheet.Writer(out).writerows([["=cmd", "-1.5"], ["ok", "@x"]])
    spreadsheet.DictWriter(out, ["a"]).writerow({"a": "+x"})
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=cmd", "-1.5"],
        ["ok", "'@x"],
        ["'+x"],
    ]
