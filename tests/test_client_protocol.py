"""The editor contract's strings in the two clients are the server's (``lsp/protocol.py``):
command names, notifications, review statuses and error codes. A change on one side that the
other misses fails here, not in a user's editor."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from bigpicture.lsp import protocol

ROOT = Path(__file__).resolve().parent.parent
TS = ROOT / "client-vscode" / "src"
LUA = ROOT / "client-nvim" / "lua" / "bigpicture"


def ts_source() -> str:
    return "\n".join(p.read_text() for p in sorted(TS.glob("*.ts")))


def lua_files() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(LUA.rglob("*.lua"))}


def test_vscode_server_commands_are_the_servers() -> None:
    block = re.search(r"export const ServerCommand = \{(.*?)\}", ts_source(), re.S)
    assert block, "protocol.ts: ServerCommand not found"
    names = re.findall(r"'(bigpicture\.\w+)'", block.group(1))
    assert names and set(names) <= set(protocol.COMMANDS), set(names) - set(protocol.COMMANDS)


def test_vscode_review_statuses_are_the_servers() -> None:
    block = re.search(r"export type ReviewStatus =(.*?);", ts_source(), re.S)
    assert block
    statuses = set(re.findall(r"'([\w-]+)'", block.group(1)))
    assert statuses == set(typing.get_args(protocol.Status))


def test_error_codes_the_clients_act_on_exist() -> None:
    codes = set(protocol.all_error_codes())
    used = set(re.findall(r"error\s*===?\s*'([\w-]+)'", ts_source()))
    used |= set(re.findall(r"'([\w-]+)'\s*===?\s*[\w.]*error\b", ts_source()))
    for text in lua_files().values():
        used |= set(re.findall(r"error\s*==\s*\"([\w-]+)\"", text))
    used -= {"string", "undefined", "object", "number"}  # typeof checks
    assert used <= codes, used - codes


def test_notifications_the_clients_handle_are_sent_by_the_server() -> None:
    sent = {
        v
        for k, v in vars(protocol).items()
        if k.isupper() and isinstance(v, str) and v.startswith("bigpicture/")
    }
    handled = set(re.findall(r"'(bigpicture/\w+)'", ts_source()))
    for text in lua_files().values():
        handled |= set(re.findall(r"\"(bigpicture/\w+)\"", text))
    assert handled and handled <= sent, handled - sent


def test_neovim_server_commands_are_the_servers() -> None:
    modules = {p.stem for p in LUA.rglob("*.lua")}
    used: set[str] = set()
    for text in lua_files().values():
        for name in re.findall(r"\"bigpicture\.(\w+)\"", text):
            if name not in modules:
                used.add("bigpicture." + name)
    assert used and used <= set(protocol.COMMANDS), used - set(protocol.COMMANDS)
