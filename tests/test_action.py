"""The GitHub Action (action.yml): its ``run:`` steps run in a temporary pull-request checkout
the way a runner runs them (bash -eo pipefail, GITHUB_OUTPUT, GITHUB_PATH, a pull_request
event), against the fake Anthropic API and the fake GitHub; ``uses:`` steps are skipped and
their inputs checked. The install step really pip-installs this checkout into a virtualenv."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from conftest import git
from fake_api import FakeAnthropic, ToolReply
from fake_github import FakeGitHub
from test_github_review import SHELL, SQL, open_pull, pr_repo  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class Run:
    code: int
    log: str
    outputs: dict[str, dict[str, str]]
    uses: list[dict[str, str]] = field(default_factory=list)


def _outputs(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        key, sep, value = lines[i].partition("=")
        if sep:
            out[key] = value
        elif "<<" in lines[i]:
            key, delim = lines[i].split("<<", 1)
            end = lines.index(delim, i + 1)
            out[key] = "\n".join(lines[i + 1 : end])
            i = end
        i += 1
    return out


class Runner:
    """Runs the composite action's steps like GitHub's runner, for the expressions it uses."""

    def __init__(self, workspace: Path, temp: Path, env: dict[str, str], inputs: dict[str, str]):
        self.workspace, self.temp, self.env = workspace, temp, env
        self.inputs = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
        self.inputs["github-token"] = env["GITHUB_TOKEN"]
        unknown = set(inputs) - set(self.inputs)
        assert not unknown, f"not inputs of action.yml: {unknown}"
        self.inputs.update(inputs)
        self.steps: dict[str, dict[str, str]] = {}
        self.path: list[str] = []

    def expr(self, text: str) -> str:
        def one(m: re.Match[str]) -> str:
            e = m.group(1)
            if e.startswith("inputs."):
                return self.inputs[e[7:]]
            if e == "github.action_path":
                return str(ROOT)
            if e == "github.token":
                return self.env["GITHUB_TOKEN"]
            if (s := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", e)) is not None:
                return self.steps.get(s.group(1), {}).get(s.group(2), "")
            raise AssertionError(f"the test runner does not know the expression {e!r}")

        return EXPR.sub(one, text)

    def condition(self, step: dict) -> bool:
        cond = str(step.get("if", "")).strip()
        if not cond:
            return True
        if cond == "${{ always() }}":
            return True
        m = re.fullmatch(
            r"\$\{\{ always\(\) && inputs\.upload-sarif == 'true' && "
            r"steps\.review\.outputs\.sarif != '' \}\}",
            cond,
        )
        assert m, f"the test runner does not know the condition {cond!r}"
        return self.inputs["upload-sarif"] == "true" and bool(
            self.steps.get("review", {}).get("sarif")
        )

    def run(self, skip: tuple[str, ...] = (), path: tuple[str, ...] = ()) -> Run:
        self.path = list(path)
        log: list[str] = []
        code = 0
        uses: list[dict[str, str]] = []
        for i, step in enumerate(ACTION["runs"]["steps"]):
            if not self.condition(step) or step.get("name") in skip:
                continue
            if "uses" in step:
                uses.append(
                    {
                        "uses": step["uses"],
                        **{k: self.expr(str(v)) for k, v in step.get("with", {}).items()},
                    }
                )
                continue
            assert step["shell"] == "bash"
            output, gpath = self.temp / f"output-{i}", self.temp / f"path-{i}"
            env = {
                **self.env,
                "PATH": os.pathsep.join([*reversed(self.path), self.env["PATH"]]),
                "GITHUB_OUTPUT": str(output),
                "GITHUB_PATH": str(gpath),
                **{k: self.expr(str(v)) for k, v in step.get("env", {}).items()},
            }
            script = self.temp / f"step-{i}.sh"
            script.write_text(step["run"])
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=self.workspace,
                env=env,
                capture_output=True,
                text=True,
                timeout=240,
            )
            log.append(f"== {step['name']}\n{proc.stdout}{proc.stderr}")
            if "id" in step:
                self.steps[step["id"]] = _outputs(output)
            if gpath.exists():
                self.path += [p for p in gpath.read_text().splitlines() if p]
            if proc.returncode != 0:
                code = proc.returncode
                if step["name"] != "Exit with the review's exit code":
                    break
        return Run(code, "\n".join(log), self.steps, uses)


@pytest.fixture
def checkout(pr_repo: Path, tmp_path: Path) -> Path:  # noqa: F811
    """The pull request's checkout: origin has main, HEAD is the feature branch."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(pr_repo, "remote", "add", "origin", str(origin))
    git(pr_repo, "push", "-q", "origin", "main")
    git(pr_repo, "fetch", "-q", "origin")
    return pr_repo


@pytest.fixture
def world(checkout: Path, tmp_path: Path):
    with FakeAnthropic() as api, FakeGitHub() as hub:
        _, event = open_pull(hub, checkout, tmp_path)
        bin_dir = tmp_path / "bin"  # setup-python's part: a `python` on PATH, nothing else
        bin_dir.mkdir()
        (bin_dir / "python").symlink_to(sys.executable)
        temp = tmp_path / "runner-temp"
        temp.mkdir()
        env = {
            "PATH": f"{bin_dir}{os.pathsep}/usr/local/bin{os.pathsep}/usr/bin{os.pathsep}/bin",
            "HOME": os.environ.get("HOME", str(tmp_path)),
            "RUNNER_TEMP": str(temp),
            "GITHUB_WORKSPACE": str(checkout),
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": "octo/shop",
            "GITHUB_BASE_REF": "main",
            "GITHUB_API_URL": hub.url,
            "GITHUB_TOKEN": hub.token,
            "ANTHROPIC_BASE_URL": api.url,
            "ANTHROPIC_API_KEY": "sk-ant-test",
            "BIGPICTURE_DATA_DIR": str(tmp_path / "data"),
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
        for var in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE"):
            if var in os.environ:
                env[var] = os.environ[var]
        yield api, hub, checkout, temp, env


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[str, ...]:
    """The action's install step, run once for the file: BigPicture pip-installed from this
    checkout into ``$RUNNER_TEMP/bigpicture-venv``, its bin/ on GITHUB_PATH."""
    temp = tmp_path_factory.mktemp("install-temp")
    bin_dir = temp / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    (step,) = [s for s in ACTION["runs"]["steps"] if s.get("name") == "Install BigPicture"]
    gpath = temp / "github-path"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}/usr/local/bin{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": os.environ.get("HOME", str(temp)),
        "RUNNER_TEMP": str(temp),
        "GITHUB_PATH": str(gpath),
        "ACTION_PATH": str(ROOT),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        **{k: v for k, v in os.environ.items() if k.startswith("PIP_")},
    }
    assert step["env"] == {"ACTION_PATH": "${{ github.action_path }}"}
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (venv_bin,) = gpath.read_text().splitlines()
    assert Path(venv_bin, "bigpicture").exists() and venv_bin == str(
        temp / "bigpicture-venv" / "bin"
    )
    return (venv_bin,)


SKIP = ("Install BigPicture",)


def test_the_action_reviews_uploads_posts_and_exits_with_the_review_code(world, installed):
    api, hub, checkout, temp, env = world
    api.script(ToolReply({"findings": [SHELL, SQL], "summary": "Ping shells out."}))
    run = Runner(checkout, temp, env, {"post-review": "true"}).run(skip=SKIP, path=installed)
    assert run.code == 1, run.log  # a critical finding, fail-on high
    review = run.outputs["review"]
    assert review["exit-code"] == "1"
    assert "::error title=BigPicture::findings at or above high" in run.log
    # the installed CLI has --verify, so the action passes it (an older one gets a notice)
    assert "this BigPicture has no --verify" not in run.log
    sarif = json.loads(Path(review["sarif"]).read_text())
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert rules == {"CWE-78", "CWE-89"}
    assert run.uses == [
        {"uses": "actions/setup-python@v5", "python-version": "3.12"},
        {
            "uses": "github/codeql-action/upload-sarif@v3",
            "sarif_file": review["sarif"],
            "category": "bigpicture",
        },
    ]
    (request,) = api.messages_requests()
    text = "".join(b.get("text", "") for b in request.body["messages"][0]["content"])
    assert 'base="origin/main"' in text and "+def ping(host):" in text
    (posted,) = hub.posts()
    assert posted.body["commit_id"] == git(checkout, "rev-parse", "HEAD").strip()
    assert [(c["path"], c["line"]) for c in posted.body["comments"]] == [("app/web.py", 11)]
    assert "SQL injection in find_user at `app/db.py:5`" in posted.body["body"]


def test_no_key_fails_by_default_and_skips_when_asked(world, installed):
    api, hub, checkout, temp, env = world
    del env["ANTHROPIC_API_KEY"]
    failed = Runner(checkout, temp, env, {}).run(skip=SKIP, path=installed)
    assert failed.code == 2 and "ANTHROPIC_API_KEY is not set" in failed.log
    skipped = Runner(checkout, temp, env, {"missing-key": "skip"}).run(skip=SKIP, path=installed)
    assert skipped.code == 0 and "::warning title=BigPicture::review skipped" in skipped.log
    assert skipped.uses == [{"uses": "actions/setup-python@v5", "python-version": "3.12"}]
    assert api.requests == [] and hub.requests == []


def test_an_incomplete_review_is_uploaded_as_unsuccessful_and_exits_6(world, installed):
    api, hub, checkout, temp, env = world
    api.script(ToolReply({"findings": [SHELL], "summary": "x"}, stop_reason="max_tokens"))
    run = Runner(checkout, temp, env, {"post-review": "true", "fail-on": ""}).run(
        skip=SKIP, path=installed
    )
    assert run.code == 6, run.log
    assert "INCOMPLETE REVIEW" in run.log
    sarif = json.loads(Path(run.outputs["review"]["sarif"]).read_text())
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False
    assert run.uses[-1]["sarif_file"] == run.outputs["review"]["sarif"]
    assert "INCOMPLETE REVIEW" in hub.posts()[0].body["body"]


def test_a_clean_review_exits_0_and_posts_nothing(world, installed):
    api, hub, checkout, temp, env = world
    api.script(ToolReply({"findings": [], "summary": "Fine."}))
    run = Runner(checkout, temp, env, {"post-review": "true"}).run(skip=SKIP, path=installed)
    assert run.code == 0, run.log
    assert hub.posts() == [] and "nothing new to post" in run.log


def test_action_inputs_are_documented_and_reach_the_steps_through_env():
    for name, spec in ACTION["inputs"].items():
        assert spec.get("description"), name
    for step in ACTION["runs"]["steps"]:
        if "run" in step:  # inputs in scripts go through env, never into the script text
            assert "${{" not in step["run"], step["name"]
