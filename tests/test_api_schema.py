"""Promises the OpenAPI document makes to every client, checked on the live document so a
new operation that breaks one fails here (schemathesis, in .ci/api-fuzz, then checks the
behaviour against the document)."""

import pytest

from tests.factories import client_for

ANY_CALL = {"401", "403", "422", "429"}


@pytest.fixture
def schema(practitioner):
    response = client_for(practitioner).get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", path, operation


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_every_operation_documents_what_any_call_may_answer(schema):
    missing = {
        name: sorted(ANY_CALL - set(operation["responses"]))
        for name, _, operation in _operations(schema)
        if ANY_CALL - set(operation["responses"])
    }
    assert missing == {}


def test_an_operation_on_one_record_documents_404(schema):
    missing = [
        name
        for name, path, operation in _operations(schema)
        if "{" in path and "404" not in operation["responses"]
    ]
    assert missing == []


def test_lists_are_cursor_pages_with_a_next_link(schema):
    lists = 0
    for name, _, operation in _operations(schema):
        params = {p["name"] for p in operation.get("parameters", [])}
        if "cursor" not in params:
            continue
        lists += 1
        assert "limit" in params, name
        body = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert {"results", "next"} <= set(_resolve(schema, body)["properties"]), name
    assert lists >= 1


def test_sorts_and_choices_are_listed_never_free_text(schema):
    free = []
    for name, _, operation in _operations(schema):
        for param in operation.get("parameters", []):
            if param["name"] != "sort":
                continue
            node = _resolve(schema, param["schema"])
            if "enum" not in node and "const" not in node:
                free.append(name)
    assert free == []


def test_the_document_names_each_key_once(practitioner):
    """Swagger UI reads the document as YAML and refuses a key given twice."""
    import json

    def once(pairs):
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), f"keys given twice: {keys}"
        return dict(pairs)

    json.loads(client_for(practitioner).get("/api/v1/openapi.json").content, object_pairs_hook=once)
