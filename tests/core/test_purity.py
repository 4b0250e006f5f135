"""The core, the stores and the renderers are pure of the editor and API libraries: none of
their modules imports pygls, lsprotocol or anthropic (the import-linter contract in
pyproject.toml checks the layer order; this checks the modules really import in isolation)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import bigpicture.core
import bigpicture.outputs
import bigpicture.store


def _modules(package) -> list[str]:
    return [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]


def test_every_core_store_and_output_module_imports_without_the_editor_and_api_libraries():
    modules = _modules(bigpicture.core) + _modules(bigpicture.store) + _modules(bigpicture.outputs)
    assert "bigpicture.core.request.plan" in modules
    assert "bigpicture.core.gather.gather" in modules
    assert "bigpicture.store.ledger" in modules
    code = (
        "import sys\n"
        "for banned in ('pygls', 'lsprotocol', 'anthropic'):\n"
        "    sys.modules[banned] = None  # any import of them now fails\n"
        "import importlib\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
