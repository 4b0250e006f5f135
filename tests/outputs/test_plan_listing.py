"""outputs.plan: the plan lists what would leave the machine: every file with its tokens, by
folder when the list is long, and every file in JSON."""

from __future__ import annotations

import json
from pathlib import Path

from bigpicture.app.prepare import prepare
from bigpicture.core.config import Settings
from bigpicture.outputs import plan as plan_out
from conftest import commit, write


def test_each_file_with_its_tokens_when_the_list_is_short(repo: Path) -> None:
    write(repo, "app/main.py", "print('hi')\n" * 50)
    write(repo, "README.md", "# hi\n")
    write(repo, ".env", "TOKEN=1\n")
    commit(repo, "init")
    plan = prepare(repo, Settings()).plan
    text = plan_out.render_text(plan)
    sent = text.split("Files sent: ", 1)[1].split("\n\n", 1)[0].splitlines()
    assert sent[0].startswith("2 (")
    tokens = {f.path: f.tokens for f in plan.files}
    assert [line.split()[0] for line in sent[1:]] == [f.path for f in plan.files]
    for line in sent[1:]:
        path, count = line.split()[0], line.split()[1]
        assert int(count.replace(",", "")) == tokens[path]
    assert ".env" not in "\n".join(sent)  # listed under "Never sent", not here


def test_by_folder_when_long_and_complete_in_json(repo: Path) -> None:
    for i in range(30):
        write(repo, f"pkg/a/m{i}.py", f"A = {i}\n")
        write(repo, f"pkg/b/m{i}.py", f"B = {i}\n" * 10)
    write(repo, "setup.py", "")
    commit(repo, "init")
    plan = prepare(repo, Settings()).plan
    text = plan_out.render_text(plan, max_list=10)
    section = text.split("Files sent: ", 1)[1].split("\n\n", 1)[0]
    lines = section.splitlines()[1:]
    assert lines[-1].strip() == (
        "(by folder, counting subfolders below 3 levels in it; --format json lists every file)"
    )
    rows = {line.split()[0]: line.split() for line in lines[:-1]}
    assert rows["pkg/b/"][1:3] == ["30", "files"]
    assert rows["pkg/a/"][1:3] == ["30", "files"]
    assert rows["./"][1:3] == ["1", "file"]
    b_tokens = sum(f.tokens for f in plan.files if f.path.startswith("pkg/b/"))
    assert int(rows["pkg/b/"][3].replace(",", "")) == b_tokens
    assert list(rows).index("pkg/b/") < list(rows).index("pkg/a/")  # biggest first
    data = json.loads(plan_out.render_json(plan))
    assert len(data["files"]) == 61 and {"path", "tokens"} <= set(data["files"][0])
