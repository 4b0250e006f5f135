"""The package's shape: the import-linter contracts in pyproject.toml hold (layers point one way,
only the client imports the SDK, only the language server imports pygls), no module is over
600 lines, no function over 80, and the tests mirror the package: every module of ``core/`` and
``app/`` has its unit tests at the mirrored path (``core/request/budget.py`` ->
``tests/core/request/test_budget.py``)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "server" / "bigpicture"
MAX_LINES = 600
# Modules still over the limit, each with the work that splits it (empty it, never grow it).
KNOWN_LONG: set[str] = set()

MAX_FUNCTION_LINES = 80
# Functions still over the limit (module path: qualified name), each with the work that splits
# it (empty it, never grow it).
LONG_FUNCTIONS: dict[str, set[str]] = {}

TESTS = ROOT / "tests"
# The layers whose every module has unit tests at the mirrored path.
MIRRORED = ("core", "app")
# Modules with no test file of their own, each with where they are tested instead (empty it).
UNTESTED_ALONE: dict[str, str] = {
    # Rule tables (data): every rule's examples are found and redacted, and the table's
    # invariants checked, by tests/core/gather/secretscan/test_rules.py through RULES.
    "core/gather/secretscan/rules_infra.py": "secretscan/test_rules.py",
    "core/gather/secretscan/rules_saas.py": "secretscan/test_rules.py",
    "core/gather/secretscan/rule_types.py": "secretscan/test_rules.py",
}


def test_import_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("lint-imports is not installed: pip install -e '.[test]'")
    out = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_no_module_is_over_600_lines():
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
        and str(p.relative_to(PACKAGE)) not in KNOWN_LONG
    }
    assert not long, f"modules over {MAX_LINES} lines (split them): {long}"


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, lines from its first decorator to its end) for every function."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = prefix + node.name
            if not isinstance(node, ast.ClassDef):
                first = min([d.lineno for d in node.decorator_list] + [node.lineno])
                yield name, node.end_lineno - first + 1
            yield from _functions(node, name + ".")


def test_no_function_is_over_80_lines():
    long = {}
    for p in sorted(PACKAGE.rglob("*.py")):
        rel = p.relative_to(PACKAGE).as_posix()
        for name, n in _functions(ast.parse(p.read_text(encoding="utf-8"))):
            if n > MAX_FUNCTION_LINES and name not in LONG_FUNCTIONS.get(rel, set()):
                long[f"{rel}:{name}"] = n
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines (split them): {long}"


def test_the_function_length_exemptions_are_still_needed():
    for rel, names in LONG_FUNCTIONS.items():
        found = dict(_functions(ast.parse((PACKAGE / rel).read_text(encoding="utf-8"))))
        for name in names:
            assert found.get(name, 0) > MAX_FUNCTION_LINES, f"{rel}:{name} is short now: drop it"


def _mirrored_modules() -> list[str]:
    return sorted(
        p.relative_to(PACKAGE).as_posix()
        for layer in MIRRORED
        for p in (PACKAGE / layer).rglob("*.py")
        if p.name != "__init__.py"
    )


def _test_file(module: str) -> Path:
    folder, _, name = module.rpartition("/")
    return TESTS / folder / f"test_{name.removesuffix('.py')}.py"


def test_every_module_of_core_and_app_has_its_unit_tests_at_the_mirrored_path():
    missing = [
        f"{m} -> {_test_file(m).relative_to(ROOT)}"
        for m in _mirrored_modules()
        if m not in UNTESTED_ALONE and not _test_file(m).is_file()
    ]
    assert not missing, "modules with no unit tests at the mirrored path:\n" + "\n".join(missing)


def test_the_untested_alone_exemptions_are_still_needed():
    modules = set(_mirrored_modules())
    for module in UNTESTED_ALONE:
        assert module in modules, f"{module} is gone: drop its exemption"
        assert not _test_file(module).is_file(), f"{module} has tests now: drop its exemption"


def test_every_test_folder_is_a_package():
    """Mirrored test files share names across layers (tests/app/test_batch.py and
    tests/test_batch.py): each folder is a package so pytest imports them apart."""
    for folder in [
        TESTS / layer for layer in ("app", "cli", "client", "core", "lsp", "outputs", "store")
    ]:
        for sub in [
            folder,
            *(d for d in folder.rglob("*") if d.is_dir() and d.name != "__pycache__"),
        ]:
            if any(sub.glob("test_*.py")) or sub == folder:
                assert (sub / "__init__.py").is_file(), f"{sub.relative_to(ROOT)} lacks __init__.py"


def _private_uses(tree: ast.Module) -> list[str]:
    """``module._name`` and ``from bigpicture.x import _name`` in one module's syntax tree:
    another module's private name used here."""
    aliases: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bigpicture"):
            for a in node.names:
                if a.name.startswith("_") and not a.name.startswith("__"):
                    found.append(f"from {node.module} import {a.name}")
                elif (
                    (PACKAGE.parent / (node.module or "").replace(".", "/") / a.name)
                    .with_suffix(".py")
                    .is_file()
                ):
                    aliases.add(a.asname or a.name)  # a module of the package
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("bigpicture"):
                    aliases.add(a.asname or a.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    """A name with a leading underscore is its module's own: another module that needs it
    means the name should be public (and documented) or the code is in the wrong place."""
    used = {}
    for p in sorted(PACKAGE.rglob("*.py")):
        got = _private_uses(ast.parse(p.read_text(encoding="utf-8")))
        if got:
            used[p.relative_to(PACKAGE).as_posix()] = got
    assert not used, f"private names used across modules: {used}"
