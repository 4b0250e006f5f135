"""store.batches: the record of each Message Batch sent from this machine and its sent texts."""

from __future__ import annotations

import pytest
from bigpicture.core.errors import UsageError
from bigpicture.store import batches


def record(batch_id: str, submitted: float, **kw) -> batches.Record:
    return batches.Record(id=batch_id, submitted=submitted, requests=[], content_key="k", **kw)


def test_record_and_texts_round_trip() -> None:
    texts = {"req-0": {"app/db.py": "x = 1\n"}}
    batches.save(record("msgbatch_1", 1.0), texts)
    assert batches.load("msgbatch_1") == record("msgbatch_1", 1.0)
    assert batches.load_texts("msgbatch_1") == texts
    assert batches.load("msgbatch_2") is None and batches.load_texts("msgbatch_2") is None


@pytest.mark.parametrize("bad", ["../../etc/passwd", "a/b", "", "msg batch"])
def test_an_id_cannot_name_a_path(bad: str) -> None:
    with pytest.raises(UsageError, match="is not a batch id"):
        batches.load(bad)


def test_an_unreadable_record_is_a_clear_error_and_skipped_in_the_list() -> None:
    batches.save(record("msgbatch_ok", 2.0))
    (batches.batches_dir() / "msgbatch_bad.json").write_text("{")
    with pytest.raises(UsageError, match="msgbatch_bad is unreadable"):
        batches.load("msgbatch_bad")
    assert [r.id for r in batches.stored()] == ["msgbatch_ok"]


def test_find_identical_skips_incomplete_and_expired_batches() -> None:
    day = 86400.0
    batches.save(record("msgbatch_old", 0.0))
    batches.save(record("msgbatch_bad", 20 * day, outcome="incomplete"))
    batches.save(record("msgbatch_new", 10 * day))
    found = batches.find_identical("k", now=31 * day)
    assert found is not None and found.id == "msgbatch_new"
    assert batches.find_identical("other", now=31 * day) is None
    assert batches.find_identical("k", now=40 * day) is None  # results no longer kept
