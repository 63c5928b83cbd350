"""Search result pages: each page holds exactly the rows one ordered query would give,
however the matches are read (on PostgreSQL each name range is read on its own)."""

import pytest
from django.urls import reverse

from mesoclinic.patients import search
from mesoclinic.patients.forms import SearchForm
from mesoclinic.tenancy import acting_for
from tests.factories import client_for

NAMES = [
    ("Maria", "Yamada"), ("Yasmin", "Martin"), ("Marco", "Marsh"), ("Anna", "Yamamoto"),
    ("Yamal", "Young"), ("Mark", "Abbott"), ("Zoe", "Marley"), ("Maria", "Yamada"),
    ("Sofia", "García"), ("Sofia", "Garner"), ("García", "Sofia"), ("Bob", "Smith"),
]  # fmt: skip


@pytest.fixture
def crowd(make_patient):
    for i, (first, last) in enumerate(NAMES * 3):
        make_patient(first_name=first, last_name=last, date_of_birth=f"19{50 + i}-01-0{1 + i % 9}")


@pytest.mark.parametrize("query", ["mar", "yam", "sofia gar", "smith", "zz", ""])
@pytest.mark.parametrize("sort", list(SearchForm.SORTS))
def test_every_window_equals_the_single_ordered_query(org, crowd, query, sort):
    ordering = SearchForm.SORTS[sort]
    with acting_for(org):
        everything = list(search.search_patients(query)[0].order_by(*ordering))
        for bottom, top in [(0, 4), (3, 8), (0, 100), (30, 40)]:
            window = search.ordered_window(query, ordering, bottom, top)
            assert [p.pk for p in window] == [p.pk for p in everything[bottom:top]]


def test_the_result_pages_list_each_match_once_in_name_order(org, crowd, practitioner):
    page = client_for(practitioner).get(reverse("patient_list"), {"q": "yam"})
    rows = page.context["page"].object_list
    # Yamada x2, Yamamoto (last names) and Yamal Young (a first name), three times each
    assert len(rows) == len({p.pk for p in rows}) == 12
    assert [(p.search_last, p.search_first) for p in rows] == sorted(
        (p.search_last, p.search_first) for p in rows
    )
    assert "Yamal" in page.content.decode()
