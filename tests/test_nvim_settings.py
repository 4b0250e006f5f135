"""The Neovim plugin's list of settings is generated from the server's (one source).

``client-nvim/lua/bigpicture/settings_spec.lua`` is written by
``client-nvim/scripts/gen_settings.py`` from ``bigpicture.lsp.protocol.settings()``; a setting
added, renamed or retyped on the server without re-running the script fails here. The help
file and the plugin's README must name every setting too.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from bigpicture.lsp import protocol

PLUGIN = Path(__file__).resolve().parents[1] / "client-nvim"


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_settings", PLUGIN / "scripts/gen_settings.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_lua_is_current():
    gen = _generator()
    written = gen.OUT.read_text(encoding="utf-8")
    assert written == gen.render(), (
        "client-nvim/lua/bigpicture/settings_spec.lua is stale: run "
        "`python client-nvim/scripts/gen_settings.py`"
    )


def test_generated_lua_lists_every_server_setting():
    text = (PLUGIN / "lua/bigpicture/settings_spec.lua").read_text(encoding="utf-8")
    keys = re.findall(r'key = "(\w+)"', text)
    assert keys == [s.key for s in protocol.settings()]
    # The settings users were wrongly warned about are there.
    assert {"provider", "models", "baseUrl", "maxFileSize", "maxOutputTokens"} <= set(keys)


def test_the_plugin_has_no_other_list_of_setting_keys():
    """No hand-written copy of the keys left in the plugin's Lua (only the generated file)."""
    for path in (PLUGIN / "lua").rglob("*.lua"):
        if path.name == "settings_spec.lua":
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bthinkingBudget\s*=\s*true", text), path
        assert "debounceMs = true" not in text, path


def test_help_and_readme_name_every_setting():
    doc = (PLUGIN / "doc/bigpicture.txt").read_text(encoding="utf-8")
    readme = (PLUGIN / "README.md").read_text(encoding="utf-8")
    for s in protocol.settings():
        assert re.search(rf"^  {s.key}\s", doc, re.M), f"doc/bigpicture.txt lacks {s.key}"
        assert f"`{s.key}`" in readme, f"client-nvim/README.md lacks {s.key}"
