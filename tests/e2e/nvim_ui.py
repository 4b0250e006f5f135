"""A minimal Neovim UI over msgpack-RPC (``nvim --embed``), for what only a UI can see.

Headless Neovim never shows a hit-enter prompt: it has no screen. To check that the plugin's
messages never cause one, the test attaches as a UI (``nvim_ui_attach`` with ``ext_linegrid``)
and keeps the screen's rows from the ``grid_line`` events, noting every row that ever showed
"Press ENTER". The Lua driver still runs inside Neovim and writes its results to a file; this
side only watches the screen and answers nothing.
"""

from __future__ import annotations

import os
import subprocess
import threading
from typing import Any

import msgpack

PROMPTS = ("Press ENTER", "-- More --")
_last: list[Screen | None] = [None]


def last_screen() -> str:
    """The last run's screen and prompts, for a failure message."""
    screen = _last[0]
    if screen is None:
        return "(no screen)"
    return f"prompts: {screen.prompts}\nscreen:\n{screen.text()}"


class Screen:
    """The rows of grid 1 as the UI draws them, and every prompt ever drawn."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.rows: dict[int, list[str]] = {}
        self.prompts: list[str] = []
        self.lock = threading.Lock()

    def _row(self, r: int) -> list[str]:
        return self.rows.setdefault(r, [" "] * self.width)

    def apply(self, name: str, args: list[Any]) -> None:
        if name == "grid_resize":
            for _grid, w, h in args:
                self.width, self.height = w, h
                self.rows.clear()
        elif name == "grid_clear":
            self.rows.clear()
        elif name == "grid_scroll":
            for _grid, top, bot, left, right, rows, _cols in args:
                old = {r: list(self._row(r)) for r in range(top, bot)}
                for r in range(top, bot):
                    src = r + rows
                    if top <= src < bot:
                        self._row(r)[left:right] = old[src][left:right]
        elif name == "grid_line":
            for event in args:
                _grid, row, col, cells = event[0], event[1], event[2], event[3]
                line = self._row(row)
                for cell in cells:
                    text = cell[0]
                    repeat = cell[2] if len(cell) > 2 else 1
                    for _ in range(repeat):
                        if col < len(line):
                            line[col] = text
                        col += 1
                joined = "".join(line)
                for p in PROMPTS:
                    if p in joined:
                        self.prompts.append(joined.strip())

    def text(self) -> str:
        with self.lock:
            return "\n".join("".join(self.rows[r]).rstrip() for r in sorted(self.rows))


def run_with_ui(
    argv: list[str],
    env: dict[str, str],
    cwd: str,
    timeout: float,
    width: int = 80,
    height: int = 24,
) -> tuple[int, Screen, bytes]:
    """Run ``argv`` (an ``nvim --embed ...`` command line) with this UI attached until it exits;
    (exit code, the screen, stderr)."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    assert proc.stdin is not None and proc.stdout is not None
    screen = Screen(width, height)
    _last[0] = screen
    attach = [0, 1, "nvim_ui_attach", [width, height, {"ext_linegrid": True, "rgb": True}]]
    proc.stdin.write(msgpack.packb(attach))
    proc.stdin.flush()
    errors: list[bytes] = []

    def read_stderr() -> None:
        assert proc.stderr is not None
        errors.append(proc.stderr.read())

    def read() -> None:
        assert proc.stdout is not None
        unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        fd = proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            unpacker.feed(chunk)
            for msg in unpacker:
                if msg[0] == 2 and msg[1] == "redraw":
                    with screen.lock:
                        for batch in msg[2]:
                            screen.apply(batch[0], batch[1:])
                elif msg[0] == 0:  # a request to the UI: answer nil
                    proc.stdin.write(msgpack.packb([1, msg[1], None, None]))
                    proc.stdin.flush()

    reader = threading.Thread(target=read, daemon=True)
    err_reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    err_reader.start()
    try:
        code = proc.wait(timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    err_reader.join(5)
    return code, screen, b"".join(errors)
