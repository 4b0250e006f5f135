"""A review compared with a previous run's SARIF (``--baseline FILE``): each finding is
``new``, ``unchanged`` or ``updated``, and each earlier result not found again is ``absent``.

Matching, one baseline result to at most one finding, in this order:

1. the stable id: ``partialFingerprints["bigpicture/v2"]`` equal to the finding's id (path,
   anchored code, category, CWE: a reworded title or moved lines still match), or, in a
   baseline written before ids left the title out, ``bigpicture/v1`` equal to the finding's
   older id;
2. the code: the same category and anchored code (``properties.codeKey``) in any file, which
   covers a CWE the model gave or dropped and a file renamed since.

A match is ``unchanged`` when it is by id with the same severity, else ``updated`` (the
severity changed, the CWE changed, or the code moved to another file). The wording of the
title and message never counts: the model rewords.

``absent`` results are copied from the baseline into the current run, as SARIF §3.27.24 asks,
but only for what this review looked at: a complete review, and files it sent (or that no
longer exist). A result on a file that was left out, or in a review cut short, is not known
to be gone, so it is not listed.

A file that is not a SARIF 2.1.0 log with a BigPicture run is a ``UsageError``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from bigpicture.core import models
from bigpicture.core.errors import UsageError
from bigpicture.core.reply.anchor import code_key, legacy_id

State = Literal["new", "unchanged", "updated", "absent"]

FINGERPRINT = "bigpicture/v2"
LEGACY_FINGERPRINT = "bigpicture/v1"
_GUID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)


@dataclass
class Baseline:
    """The BigPicture results of a previous SARIF log."""

    name: str
    results: list[dict[str, Any]]
    guid: str | None = None


@dataclass
class Comparison:
    """The state of each current finding (by id) and the baseline results now absent."""

    states: dict[str, State] = field(default_factory=dict)
    absent: list[dict[str, Any]] = field(default_factory=list)
    name: str = ""  # the baseline file
    guid: str | None = None  # the baseline run's automationDetails.guid, if it had one

    def counts(self) -> dict[str, int]:
        out = {"new": 0, "unchanged": 0, "updated": 0}
        for s in self.states.values():
            out[s] += 1
        out["absent"] = len(self.absent)
        return out


def parse(data: bytes, name: str) -> Baseline:
    """The BigPicture results of the SARIF log ``data`` (read from ``name``)."""
    why = f"--baseline {name}: not a SARIF 2.1.0 log"
    try:
        log = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise UsageError(f"{why} (not JSON: {e}); pass the SARIF file of a previous run") from None
    if not isinstance(log, dict) or not isinstance(log.get("runs"), list):
        raise UsageError(f'{why} (no "runs"); pass the SARIF file of a previous run')
    if log.get("version") != "2.1.0":
        raise UsageError(f"{why} (version {log.get('version')!r}); pass a SARIF 2.1.0 file")
    results: list[dict[str, Any]] = []
    guid = None
    ours = False
    for run in log["runs"]:
        if not isinstance(run, dict):
            raise UsageError(f"{why} (a run is not an object)")
        driver = (run.get("tool") or {}).get("driver") or {}
        if driver.get("name") != "BigPicture":
            continue
        ours = True
        guid = guid or (run.get("automationDetails") or {}).get("guid")
        got = run.get("results") or []
        if not isinstance(got, list) or not all(isinstance(r, dict) for r in got):
            raise UsageError(f'{why} ("results" is not a list of objects)')
        rules = (driver.get("rules") or []) if isinstance(driver.get("rules"), list) else []
        for r in got:
            if r.get("baselineState") == "absent":
                continue  # gone already at that run
            results.append(_with_rule_id(r, rules))
    if not ours:
        raise UsageError(
            f"--baseline {name}: the SARIF log has no BigPicture run; pass the SARIF file "
            "a previous `bigpicture review --format sarif` wrote"
        )
    ok = isinstance(guid, str) and _GUID.match(guid)
    return Baseline(name=name, results=results, guid=guid if ok else None)


def _with_rule_id(result: dict[str, Any], rules: list[Any]) -> dict[str, Any]:
    """The result without its ``ruleIndex`` (it indexed the baseline's rules), ``ruleId`` kept
    or taken from that rule."""
    out = {k: v for k, v in result.items() if k != "ruleIndex"}
    index = result.get("ruleIndex")
    if "ruleId" not in out and isinstance(index, int) and 0 <= index < len(rules):
        rule = rules[index]
        if isinstance(rule, dict) and isinstance(rule.get("id"), str):
            out["ruleId"] = rule["id"]
    return out


def _props(r: dict[str, Any]) -> dict[str, Any]:
    props = r.get("properties")
    return props if isinstance(props, dict) else {}


def _fingerprint(r: dict[str, Any], key: str) -> str | None:
    fps = r.get("partialFingerprints")
    value = fps.get(key) if isinstance(fps, dict) else None
    return value if isinstance(value, str) else None


def _path(r: dict[str, Any]) -> str | None:
    try:
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    except (KeyError, IndexError, TypeError):
        return None
    from urllib.parse import unquote

    return unquote(uri) if isinstance(uri, str) else None


def compare(
    findings: list[models.Finding],
    baseline: Baseline,
    *,
    reviewed: set[str],
    present: set[str],
    complete: bool,
) -> Comparison:
    """Each finding's state against ``baseline``, and the baseline results now absent
    (``reviewed``: the paths this review sent; ``present``: every path in the workspace, so
    the results on a deleted file are absent too)."""
    out = Comparison(name=baseline.name, guid=baseline.guid)
    left = list(range(len(baseline.results)))
    by_id: dict[str, int] = {}
    by_legacy: dict[str, int] = {}
    by_code: dict[tuple[str, str], list[int]] = {}
    for i in left:
        r = baseline.results[i]
        if (fp := _fingerprint(r, FINGERPRINT)) is not None:
            by_id.setdefault(fp, i)
        if (fp := _fingerprint(r, LEGACY_FINGERPRINT)) is not None:
            by_legacy.setdefault(fp, i)
        props = _props(r)
        key = props.get("codeKey")
        if isinstance(key, str) and isinstance(props.get("category"), str):
            by_code.setdefault((props["category"], key), []).append(i)
    used: set[int] = set()
    pending: list[models.Finding] = []
    for f in findings:
        hit = by_id.get(f.id)
        if hit is None:
            hit = by_legacy.get(legacy_id(f.path, f.category, f.quote, f.title))
        if hit is None or hit in used:
            pending.append(f)
            continue
        used.add(hit)
        same = _props(baseline.results[hit]).get("severity") == f.severity
        out.states[f.id] = "unchanged" if same else "updated"
    for f in pending:  # by code, once the exact matches have taken theirs
        candidates = by_code.get((f.category, code_key(f.category, f.quote)), [])
        hit = next((c for c in candidates if c not in used), None)
        if hit is None:
            out.states[f.id] = "new"
            continue
        used.add(hit)
        out.states[f.id] = "updated"
    if complete:
        for i in left:
            r = baseline.results[i]
            path = _path(r)
            if i not in used and path is not None and (path in reviewed or path not in present):
                out.absent.append({**r, "baselineState": "absent"})
    return out
