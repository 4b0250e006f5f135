"""Dismissed findings: the committed file, its stable form, and applying it."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from bigpicture.core import models
from bigpicture.core.errors import ConfigError
from bigpicture.core.reply import suppress
from bigpicture.core.reply.anchor import anchor, code_key, legacy_id
from bigpicture.store import dismissed

SRC = "import os\n\ndef f(q):\n    return db.execute(q)\n"


def anchored(**over) -> models.Finding:
    base = dict(
        path="src/app.py",
        line=4,
        quote="return db.execute(q)",
        severity="high",
        category="security",
        title="SQL injection",
        message="m",
    )
    base.update(over)
    (f,), _ = anchor([models.Finding(**base)], {"src/app.py": SRC})
    return f


DAY = dt.date(2026, 3, 1)


def test_missing_file_is_empty(tmp_path):
    assert dismissed.load(tmp_path) == {}


def test_dismiss_writes_a_stable_committed_file(tmp_path):
    a = anchored()
    b = anchored(title="Another problem", category="bug")
    dismissed.dismiss(tmp_path, a, "false-positive", by="alice", today=DAY)
    dismissed.dismiss(tmp_path, b, "wont-fix", today=DAY)
    path = tmp_path / ".bigpicture" / "dismissed.json"
    text = path.read_text()
    first, second = sorted([a, b], key=lambda f: f.id)
    expected = {
        "version": 1,
        "dismissed": [
            {
                "id": f.id,
                "reason": "false-positive" if f is a else "wont-fix",
                "path": "src/app.py",
                "title": f.title,
                "date": "2026-03-01",
                **({"by": "alice"} if f is a else {}),
                "category": f.category,
                "code": code_key(f.category, f.quote),
            }
            for f in (first, second)
        ],
    }
    assert text == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
    # Writing again in another order gives the same bytes.
    other = tmp_path / "other"
    dismissed.dismiss(other, b, "wont-fix", today=DAY)
    dismissed.dismiss(other, a, "false-positive", by="alice", today=DAY)
    assert (other / ".bigpicture" / "dismissed.json").read_text() == text
    assert not [p for p in (tmp_path / ".bigpicture").iterdir() if p.name != "dismissed.json"]


def test_load_apply_and_undismiss(tmp_path):
    a, b = anchored(), anchored(title="Other", category="bug")
    assert a.id != b.id
    dismissed.dismiss(tmp_path, a, "wont-fix", today=DAY)
    entries = dismissed.load(tmp_path)
    assert set(entries) == {a.id}
    assert entries[a.id].date == DAY and entries[a.id].by is None
    out = suppress.apply([a, b], entries)
    assert [f.suppressed for f in out] == ["wont-fix", None]
    # Re-dismissing replaces; undismissing removes; undismissing twice says so.
    dismissed.dismiss(tmp_path, a, "false-positive", today=DAY)
    assert dismissed.load(tmp_path)[a.id].reason == "false-positive"
    assert dismissed.undismiss(tmp_path, a.id) is True
    assert dismissed.undismiss(tmp_path, a.id) is False
    assert dismissed.load(tmp_path) == {}
    assert [f.suppressed for f in suppress.apply(out, {})] == [None, None]


def test_dismissal_survives_a_line_move(tmp_path):
    dismissed.dismiss(tmp_path, anchored(), "false-positive", today=DAY)
    moved_src = "# header\n\n\n" + SRC
    (moved,), _ = anchor(
        [
            models.Finding(
                path="./src/app.py",
                line=7,
                quote="return  db.execute(q)",
                severity="medium",
                category="security",
                title="sql  injection",
                message="reworded",
            )
        ],
        {"src/app.py": moved_src},
    )
    (out,) = suppress.apply([moved], dismissed.load(tmp_path))
    assert out.suppressed == "false-positive"


def test_unanchored_finding_gets_its_id_computed(tmp_path):
    raw = models.Finding(
        path="src/app.py",
        line=4,
        quote="return db.execute(q)",
        severity="high",
        category="security",
        title="SQL injection",
        message="m",
    )
    entry = dismissed.dismiss(tmp_path, raw, "wont-fix", today=DAY)
    assert entry.id == anchored().id


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{not json", "not a valid"),
        (b"[]", "not a valid"),
        (b'{"version": 2, "dismissed": []}', "version 2"),
        (b'{"dismissed": []}', "not a valid"),
        (b'{"version": 1, "dismissed": [{"id": "x"}]}', "not a valid"),
        (
            b'{"version": 1, "dismissed": [{"id": "x", "reason": "meh", "path": "a", "title": "t", "date": "2026-01-01"}]}',
            "not a valid",
        ),
        (
            b'{"version": 1, "dismissed": [{"id": "x", "reason": "wont-fix", "path": "a", "title": "t", "date": "yesterday"}]}',
            "not a valid",
        ),
        (b"\xff\xfe\x00", "not a valid"),
    ],
)
def test_corrupt_file_is_a_config_error_naming_the_file(tmp_path, content, words):
    path = tmp_path / ".bigpicture" / "dismissed.json"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(ConfigError) as err:
        dismissed.load(tmp_path)
    assert str(path) in str(err.value) and words in str(err.value)
    # A broken file is never overwritten by a dismissal.
    with pytest.raises(ConfigError):
        dismissed.dismiss(tmp_path, anchored(), "wont-fix", today=DAY)
    assert path.read_bytes() == content


def test_unknown_fields_are_tolerated(tmp_path):
    path = tmp_path / ".bigpicture" / "dismissed.json"
    path.parent.mkdir()
    path.write_text(
        '{"version": 1, "note": "x", "dismissed": [{"id": "abc", "reason": "wont-fix",'
        ' "path": "a.py", "title": "t", "date": "2026-01-02", "ticket": "JIRA-1"}]}'
    )
    assert dismissed.load(tmp_path)["abc"].date == dt.date(2026, 1, 2)


def test_unknown_reason_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        dismissed.dismiss(tmp_path, anchored(), "annoying")
    assert not (tmp_path / ".bigpicture").exists()


def test_directory_in_place_of_the_file_is_a_config_error(tmp_path):
    (tmp_path / ".bigpicture" / "dismissed.json").mkdir(parents=True)
    with pytest.raises(ConfigError):
        dismissed.load(tmp_path)


def test_symlinked_folder_outside_the_workspace_is_not_written(tmp_path):
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    os.symlink(outside, ws / ".bigpicture")
    with pytest.raises(ConfigError, match="outside the workspace"):
        dismissed.dismiss(ws, anchored(), "wont-fix", today=DAY)
    assert list(outside.iterdir()) == []


def test_write_replaces_a_symlinked_file_instead_of_writing_through_it(tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text('{"version": 1, "dismissed": []}')
    (tmp_path / ".bigpicture").mkdir()
    os.symlink(target, tmp_path / ".bigpicture" / "dismissed.json")
    dismissed.dismiss(tmp_path, anchored(), "wont-fix", today=DAY)
    assert target.read_text() == '{"version": 1, "dismissed": []}'
    assert not (tmp_path / ".bigpicture" / "dismissed.json").is_symlink()


def test_a_reworded_title_keeps_the_id_and_the_dismissal(tmp_path):
    first = anchored()
    dismissed.dismiss(tmp_path, first, "false-positive", today=DAY)
    reworded = anchored(title="Query assembled from user-controlled input", message="other words")
    assert reworded.id == first.id
    (out,) = suppress.apply([reworded], dismissed.load(tmp_path))
    assert out.suppressed == "false-positive"
    # Another category or another CWE on the same code is another finding.
    assert anchored(category="bug").id != first.id
    assert anchored(cwe="CWE-89").id != anchored(cwe="CWE-78").id


def _legacy_file(tmp_path, entries):
    path = tmp_path / ".bigpicture" / "dismissed.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"version": 1, "dismissed": entries}))


def test_a_dismissed_json_from_before_the_new_ids_still_applies(tmp_path):
    f = anchored()
    old = legacy_id("src/app.py", "security", "return db.execute(q)", "SQL injection")
    assert old != f.id
    # exactly what 0.x wrote: no cwe, no code
    _legacy_file(
        tmp_path,
        [
            {
                "id": old,
                "reason": "wont-fix",
                "path": "src/app.py",
                "title": "SQL injection",
                "date": "2026-01-02",
            }
        ],
    )
    (out,) = suppress.apply([f], dismissed.load(tmp_path))
    assert out.suppressed == "wont-fix"
    # restoring the finding removes the old entry too, though its id is not the finding's
    assert dismissed.undismiss(tmp_path, f.id, f) is True
    assert dismissed.load(tmp_path) == {}


def test_a_dismissal_follows_the_code_when_the_model_drops_the_cwe(tmp_path):
    dismissed.dismiss(tmp_path, anchored(cwe="CWE-89"), "false-positive", today=DAY)
    no_cwe = anchored(title="Unsafe query")
    (out,) = suppress.apply([no_cwe], dismissed.load(tmp_path))
    assert out.suppressed == "false-positive"
    (other,) = suppress.apply([anchored(cwe="CWE-78")], dismissed.load(tmp_path))
    assert other.suppressed is None  # a different weakness on the same code


def test_a_dismissal_follows_a_rename_but_not_a_copy(tmp_path):
    dismissed.dismiss(tmp_path, anchored(), "false-positive", today=DAY)
    entries = dismissed.load(tmp_path)
    (f,), _ = anchor(
        [
            models.Finding(
                path="src/store.py",
                line=4,
                quote="return db.execute(q)",
                severity="high",
                category="security",
                title="Injection",
                message="m",
            )
        ],
        {"src/store.py": SRC},
    )
    # src/app.py is gone: the file was renamed, the dismissal follows the code
    (renamed,) = suppress.apply([f], entries, {"src/store.py"})
    assert renamed.suppressed == "false-positive"
    # src/app.py is still there: src/store.py holds a copy, flagged on its own
    (copy,) = suppress.apply([f], entries, {"src/store.py", "src/app.py"})
    assert copy.suppressed is None
    # without knowing what is present, nothing is taken for a rename
    assert suppress.apply([f], entries)[0].suppressed is None
