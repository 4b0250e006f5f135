"""client-vscode/package.json contributes every server setting exactly as the server defines it.

One source: the server's settings, ``bigpicture.lsp.protocol.settings()`` (key, JSON type,
nullable, default, enum, description, per-machine).
``contribution(spec)`` is the rule that turns one into VS Code's configuration schema; the test
fails when package.json differs from it, and ``python tests/test_vscode_settings.py --write``
rewrites package.json's server settings from the server (run it after changing a setting).

The rule, for VS Code's Settings editor, which cannot edit a ``null``-able value: a nullable
setting is contributed with an empty default (``""`` for a string, ``0`` for an integer) that the
extension sends as ``null`` (client-vscode/src/settings.ts). Descriptions are the server's
docstrings with RST ``code`` turned into Markdown `code`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bigpicture.lsp import protocol
from bigpicture.lsp.protocol import SettingSpec

PACKAGE = Path(__file__).resolve().parents[1] / "client-vscode" / "package.json"

# Settings only the extension reads (client-vscode/src/settings.ts: START_KEYS, CLIENT_KEYS).
CLIENT_ONLY = {"serverCommand", "pythonPath", "confirmAbove", "trace.server"}
# Where the code goes is a per-machine choice: never from a workspace's .vscode/settings.json.
MACHINE = {"provider"}
# Editor-only extras VS Code shows; the server has no use for them.
ENUM_DESCRIPTIONS = {
    "reviewOnSave": [
        "No review on save.",
        "Review the changes (with the workspace as context) after a save.",
        "Review the saved file after a save.",
    ],
}
EMPTY_NOTE = {
    "string": " Empty: not set.",
    "integer": " `0`: not set.",
}


def server_settings() -> list[SettingSpec]:
    """The server's settings, from the editor contract."""
    return protocol.settings()


def markdown(doc: str) -> str:
    return doc.replace("``", "`")


def contribution(spec: SettingSpec) -> dict[str, Any]:
    """VS Code's configuration schema for one server setting."""
    out: dict[str, Any] = {"type": spec.type}
    if spec.type == "array":
        out["items"] = {"type": "string"}
    if spec.enum:
        out["enum"] = list(spec.enum)
    if spec.key in ENUM_DESCRIPTIONS:
        out["enumDescriptions"] = ENUM_DESCRIPTIONS[spec.key]
    default = spec.default
    description = markdown(spec.description)
    if spec.nullable:
        assert spec.type in EMPTY_NOTE, f"{spec.key}: no empty value for a nullable {spec.type}"
        assert default is None, f"{spec.key}: a nullable setting defaults to null"
        default = "" if spec.type == "string" else 0
        description += EMPTY_NOTE[spec.type]
    out["default"] = default
    if spec.type in ("number", "integer"):
        out["minimum"] = 0
    if spec.machine or spec.key in MACHINE:
        out["scope"] = "machine"
    out["markdownDescription"] = description
    return out


def expected_properties() -> dict[str, dict[str, Any]]:
    return {f"bigpicture.{s.key}": contribution(s) for s in server_settings()}


def contributed() -> dict[str, dict[str, Any]]:
    pkg = json.loads(PACKAGE.read_text())
    return pkg["contributes"]["configuration"]["properties"]


def test_package_json_contributes_every_server_setting_as_the_server_defines_it():
    properties = contributed()
    expected = expected_properties()
    server_keys = {k for k in properties if k.removeprefix("bigpicture.") not in CLIENT_ONLY}
    assert sorted(server_keys) == sorted(expected), (
        "package.json and the server differ; run python tests/test_vscode_settings.py --write"
    )
    for key, schema in expected.items():
        assert properties[key] == schema, f"{key}: run python tests/test_vscode_settings.py --write"


def test_client_only_settings_are_not_server_settings_and_are_described():
    server = {s.key for s in server_settings()}
    properties = contributed()
    for key in CLIENT_ONLY - server:
        schema = properties[f"bigpicture.{key}"]
        assert len(schema.get("markdownDescription", "")) > 20, key


def test_nullable_settings_are_editable_in_the_settings_editor():
    """VS Code's Settings editor shows "Edit in settings.json" for a type that includes null."""
    for key, schema in contributed().items():
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        assert "null" not in types, key


def test_the_generator_round_trips():
    """--write produces what the test checks (the two cannot drift apart)."""
    text = render(json.loads(PACKAGE.read_text()))
    assert json.loads(text)["contributes"]["configuration"]["properties"] == {
        **contributed(),
        **expected_properties(),
    }


def render(pkg: dict[str, Any]) -> str:
    """package.json with its server settings replaced by the server's, client settings kept."""
    properties = pkg["contributes"]["configuration"]["properties"]
    client = {k: v for k, v in properties.items() if k.removeprefix("bigpicture.") in CLIENT_ONLY}
    merged = {**expected_properties(), **client}
    # The order in the Settings editor: the start settings first, then the server's, then the rest.
    order = ["bigpicture.serverCommand", "bigpicture.pythonPath"]
    ordered = {k: merged[k] for k in order if k in merged}
    ordered.update({k: v for k, v in merged.items() if k not in ordered})
    pkg["contributes"]["configuration"]["properties"] = ordered
    return json.dumps(pkg, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        PACKAGE.write_text(render(json.loads(PACKAGE.read_text())))
        print(f"wrote {PACKAGE}")
    else:
        print(json.dumps(expected_properties(), indent=2))
