"""The core is pure: it imports neither pygls, lsprotocol nor anthropic."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import bigpicture.core


def test_every_core_module_imports_without_the_editor_and_api_libraries():
    modules = [m.name for m in pkgutil.iter_modules(bigpicture.core.__path__)]
    assert "plan" in modules and "gather" in modules
    code = (
        "import sys\n"
        "for banned in ('pygls', 'lsprotocol', 'anthropic'):\n"
        "    sys.modules[banned] = None  # any import of them now fails\n"
        "import importlib\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module('bigpicture.core.' + name)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
