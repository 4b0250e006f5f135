"""A review's result as SARIF 2.1.0, for code-scanning tools (GitHub, Azure DevOps, IDEs).

One run, tool ``BigPicture``. Rules: one per category used and one per CWE used (a
finding with a CWE reports under the CWE rule; the CWE rule's ``helpUri`` is built from the
number alone, never taken from the model). Locations are relative to ``%SRCROOT%``; regions
are 1-based with columns in UTF-16 code units (``columnKind: utf16CodeUnits``), converted
from the code-point ranges using the text that was sent. Each result carries the finding's
stable id as ``partialFingerprints["bigpicture/v2"]`` (v2: the id hashes the path, the anchored
code, the category and the CWE, no longer the title; v1 ids hashed the title too) and the
path-free ``properties.codeKey``; dismissed findings carry an external suppression. An
incomplete review sets ``executionSuccessful: false`` with the reason.

With a baseline (``--baseline FILE``, ``outputs.baseline``), every result has
``baselineState`` (new / unchanged / updated) and the baseline's results not found again are
included with ``baselineState: "absent"``.

The output validates against the OASIS schema vendored in ``bigpicture/data``.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote as urlquote

import msgspec

import bigpicture
from bigpicture.core import models
from bigpicture.core.lines import split_lines
from bigpicture.core.reply.anchor import code_key
from bigpicture.outputs import baseline

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SARIF_VERSION = "2.1.0"
FINGERPRINT = baseline.FINGERPRINT
BASE_ID = "SRCROOT"

_LEVELS = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "note",
    "info": "note",
}
_CATEGORY_TEXT = {
    "security": "Security weakness",
    "architecture": "Architecture problem",
    "bug": "Bug",
    "performance": "Performance problem",
    "maintainability": "Maintainability problem",
}
_CWE = re.compile(r"^CWE-([1-9][0-9]{0,5})$")


def cwe_help_uri(cwe: str) -> str | None:
    """The MITRE page of a CWE id, from an allowlisted pattern; None if the id is not one."""
    m = _CWE.match(cwe)
    return f"https://cwe.mitre.org/data/definitions/{m.group(1)}.html" if m else None


def _rule_id(f: models.Finding) -> str:
    return f.cwe if f.cwe and _CWE.match(f.cwe) else f.category


def _rules(
    findings: list[models.Finding], extra: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The rules of the findings, and of the ``extra`` (absent) results' ``ruleId``."""
    categories: set[str] = {f.category for f in findings}
    cwes = {f.cwe for f in findings if f.cwe and _CWE.match(f.cwe)}
    for r in extra or []:
        rid = r.get("ruleId")
        if isinstance(rid, str) and _CWE.match(rid):
            cwes.add(rid)
        elif rid in models.CATEGORIES:
            categories.add(rid)
    rules: list[dict[str, Any]] = []
    for category in models.CATEGORIES:
        if category in categories:
            rules.append(
                {
                    "id": category,
                    "name": category.capitalize(),
                    "shortDescription": {"text": _CATEGORY_TEXT[category]},
                    "properties": {"tags": [category]},
                }
            )
    for cwe in sorted(cwes, key=lambda c: int(c.split("-")[1])):
        number = cwe.split("-")[1]
        rules.append(
            {
                "id": cwe,
                "name": cwe.replace("-", ""),
                "shortDescription": {"text": f"{cwe} (see MITRE's Common Weakness Enumeration)"},
                "helpUri": cwe_help_uri(cwe),
                "properties": {"tags": ["security", f"external/cwe/cwe-{number}"]},
            }
        )
    return rules


class _Lines:
    """The sent texts split the LSP way, once per file, for UTF-16 column conversion."""

    def __init__(self, texts: dict[str, str] | None) -> None:
        self.texts = texts or {}
        self.cache: dict[str, list[str]] = {}

    def get(self, path: str) -> list[str] | None:
        if path not in self.texts:
            return None
        if path not in self.cache:
            self.cache[path] = split_lines(self.texts[path])
        return self.cache[path]


SentLines = _Lines  # the same line tables serve the rdjson renderer


def utf16_column(line: str, char: int) -> int:
    """A 0-based code-point column → SARIF's 1-based UTF-16 column."""
    prefix = line[: max(0, char)]
    return len(prefix.encode("utf-16-le", "surrogatepass")) // 2 + 1


def _region(
    lines: _Lines, path: str, line: int, end_line: int | None, rng: models.Range | None
) -> tuple[dict[str, Any], bool]:
    """The SARIF region, and whether it has exact columns."""
    text_lines = lines.get(path)
    if rng is not None and text_lines is not None and rng.end_line < len(text_lines):
        return {
            "startLine": rng.start_line + 1,
            "startColumn": utf16_column(text_lines[rng.start_line], rng.start_char),
            "endLine": rng.end_line + 1,
            "endColumn": utf16_column(text_lines[rng.end_line], rng.end_char),
        }, True
    if rng is not None:
        return {"startLine": rng.start_line + 1, "endLine": rng.end_line + 1}, False
    region: dict[str, Any] = {"startLine": max(1, line)}
    if end_line is not None and end_line >= region["startLine"]:
        region["endLine"] = end_line
    return region, False


def _artifact(path: str) -> dict[str, Any]:
    return {"uri": urlquote(path, safe="/"), "uriBaseId": BASE_ID}


def _location(
    lines: _Lines, path: str, line: int, end_line: int | None, rng: models.Range | None
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    region, exact = _region(lines, path, line, end_line, rng)
    return (
        {"physicalLocation": {"artifactLocation": _artifact(path), "region": region}},
        region,
        exact,
    )


def _result(
    f: models.Finding, rule_index: dict[str, int], lines: _Lines, state: str | None = None
) -> dict[str, Any]:
    location, region, exact = _location(lines, f.path, f.line, f.end_line, f.range)
    text = f.title + (f"\n\n{f.message}" if f.message else "")
    rule_id = _rule_id(f)
    out: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": rule_index[rule_id],
        "level": _LEVELS.get(f.severity, "warning"),
        "message": {"text": text},
        "locations": [location],
    }
    if f.id:
        out["partialFingerprints"] = {FINGERPRINT: f.id}
    if state is not None:
        out["baselineState"] = state
    related = []
    for i, rel in enumerate(f.related):
        loc, _, _ = _location(lines, rel.path, rel.line, None, rel.range)
        loc["id"] = i
        if rel.message:
            loc["message"] = {"text": rel.message}
        related.append(loc)
    if related:
        out["relatedLocations"] = related
    if f.fix is not None and exact and not f.approximate:
        out["fixes"] = [
            {
                "description": {"text": f"Replace the flagged code: {f.title}"},
                "artifactChanges": [
                    {
                        "artifactLocation": _artifact(f.path),
                        "replacements": [
                            {
                                "deletedRegion": region,
                                "insertedContent": {"text": f.fix.replacement},
                            }
                        ],
                    }
                ],
            }
        ]
    if f.suppressed:
        out["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": f.suppressed}
        ]
    props: dict[str, Any] = {
        "severity": f.severity,
        "category": f.category,
        "approximate": f.approximate,
        "codeKey": code_key(f.category, f.quote),
    }
    if f.confidence is not None:
        props["confidence"] = f.confidence
    if f.cwe:
        props["cwe"] = f.cwe
    out["properties"] = props
    return out


def _root_uri(root: str) -> dict[str, Any]:
    if root:
        for flavour in (PurePosixPath, PureWindowsPath):
            p = flavour(root)
            if p.is_absolute():
                uri = p.as_uri()
                return {"uri": uri if uri.endswith("/") else uri + "/"}
    return {"description": {"text": "The root of the reviewed workspace."}}


def _notifications(result: models.ReviewResult) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = []
    if not result.complete:
        reason = result.incomplete_reason or "the review did not finish"
        notes.append(
            {
                "level": "error",
                "message": {"text": f"Incomplete review: {reason}. Findings are partial."},
                "descriptor": {"id": "incomplete-review"},
            }
        )
    d = result.dropped
    dropped = d.malformed + d.unknown_path + d.out_of_range
    if dropped:
        notes.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{dropped} findings dropped: {d.malformed} malformed, "
                    f"{d.unknown_path} on paths that were not sent, "
                    f"{d.out_of_range} outside their file."
                },
                "descriptor": {"id": "dropped-findings"},
            }
        )
    if result.left_out:
        notes.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{len(result.left_out)} files were left out of the request "
                    "(over the token budget) and were not reviewed."
                },
                "descriptor": {"id": "left-out-files"},
            }
        )
    return notes


def _absent(
    comparison: baseline.Comparison | None, rule_index: dict[str, int]
) -> list[dict[str, Any]]:
    out = []
    for r in comparison.absent if comparison else []:
        r = dict(r)
        if r.get("ruleId") in rule_index:
            r["ruleIndex"] = rule_index[r["ruleId"]]
        out.append(r)
    return out


def to_dict(
    result: models.ReviewResult,
    texts: dict[str, str] | None = None,
    comparison: baseline.Comparison | None = None,
) -> dict[str, Any]:
    """The SARIF log as plain data. ``texts``: the exact texts sent, by path; ``comparison``:
    the findings against a baseline (``baselineState`` on each result, absent ones added)."""
    lines = _Lines(texts)
    rules = _rules(result.findings, comparison.absent if comparison else None)
    rule_index = {rule["id"]: i for i, rule in enumerate(rules)}
    invocation: dict[str, Any] = {"executionSuccessful": result.complete}
    notes = _notifications(result)
    if notes:
        invocation["toolExecutionNotifications"] = notes
    run_props: dict[str, Any] = {
        "kind": result.kind,
        "model": result.model,
        "summary": result.summary,
        "filesSent": result.files_sent,
        "fromCache": result.from_cache,
    }
    if result.request_id:
        run_props["requestId"] = result.request_id
    if result.cost is not None:
        run_props["costUsd"] = result.cost.usd
    if result.usage is not None:
        run_props["usage"] = msgspec.to_builtins(result.usage)
    if result.shards:
        run_props["shards"] = msgspec.to_builtins(result.shards)
        run_props["notReviewed"] = result.not_reviewed
    if comparison is not None:
        run_props["baseline"] = {"file": comparison.name, **comparison.counts()}
    return {
        "$schema": SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "BigPicture",
                        "version": bigpicture.__version__,
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                "originalUriBaseIds": {BASE_ID: _root_uri(result.root)},
                "columnKind": "utf16CodeUnits",
                "results": [
                    _result(
                        f,
                        rule_index,
                        lines,
                        comparison.states.get(f.id, "new") if comparison else None,
                    )
                    for f in result.findings
                ]
                + _absent(comparison, rule_index),
                "properties": run_props,
                **({"baselineGuid": comparison.guid} if comparison and comparison.guid else {}),
            }
        ],
    }


def render(
    result: models.ReviewResult,
    texts: dict[str, str] | None = None,
    comparison: baseline.Comparison | None = None,
) -> str:
    """The SARIF log as JSON text (2-space indent, trailing newline)."""
    data = msgspec.json.encode(to_dict(result, texts, comparison))
    return msgspec.json.format(data, indent=2).decode() + "\n"
