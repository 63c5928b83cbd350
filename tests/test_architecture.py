"""The structure a maintainer relies on: checked, not only described in the README.

The layers themselves are import-linter's contract (pyproject.toml, run by `make lint`
and `make test`); these tests hold what it cannot express.
"""

import ast
from pathlib import Path

import mesoclinic

PACKAGE = Path(mesoclinic.__file__).parent


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        dotted = ".".join(("mesoclinic", *path.relative_to(PACKAGE).with_suffix("").parts))
        yield dotted.removesuffix(".__init__"), ast.parse(path.read_text(), str(path))


def _imports(tree):
    """(imported module, name) for each `from mesoclinic... import name`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mesoclinic"):
            for alias in node.names:
                yield node.module, alias.name


def test_no_private_name_crosses_a_module_boundary():
    crossings = [
        f"{module} imports {name} from {source}"
        for module, tree in _modules()
        for source, name in _imports(tree)
        if name.startswith("_") and source != module
    ]
    assert crossings == []


def test_views_import_access_helpers_never_another_apps_views():
    def app(module):
        return (module.split(".") + [""])[1]

    crossings = [
        f"{module} imports {source}.{name}"
        for module, tree in _modules()
        if module.rsplit(".", 1)[-1].endswith("views")
        for source, name in _imports(tree)
        if app(source) != app(module)
        and (source.rsplit(".", 1)[-1].endswith("views") or name.endswith("views"))
    ]
    assert crossings == []


def test_each_app_with_objects_behind_a_url_has_one_access_module():
    apps = ["patients", "plans", "treatments", "scheduling", "accounts"]
    missing = [app for app in apps if not (PACKAGE / app / "access.py").exists()]
    assert missing == []
