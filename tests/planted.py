"""A workspace with planted defects, and the model answer that reports them."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import commit, write

DB_PY = '''"""Data access."""
import sqlite3

from app.web import current_user  # the data layer reaches up into the web layer


def find_user(conn: sqlite3.Connection, name: str):
    cur = conn.cursor()
    cur.execute("SELECT * FROM users WHERE name = '" + name + "'")
    return cur.fetchone()
'''
WEB_PY = '''"""Web handlers."""
import os
import subprocess

from app import db

API_PASSWORD = "hunter2-but-longer"


def ping(host):
    return subprocess.check_output("ping -c 1 " + host, shell=True)


def read_report(name):
    path = os.path.join("/srv/reports", name)
    with open(path) as fh:
        return fh.read()


def current_user():
    return os.environ.get("USER")
'''


@pytest.fixture
def defects(repo: Path) -> Path:
    write(repo, "app/__init__.py", "")
    write(repo, "app/db.py", DB_PY)
    write(repo, "app/web.py", WEB_PY)
    write(repo, "app/big.py", "# padding so the prefix is cacheable\n" + "VALUE = 1\n" * 1500)
    commit(repo, "planted defects")
    return repo


def planted_findings(offset: int = 3) -> dict:
    """The model's answer, with line numbers off by ``offset`` (anchoring must fix them)."""
    return {
        "findings": [
            {
                "path": "app/db.py",
                "line": 9 + offset,
                "quote": '    cur.execute("SELECT * FROM users WHERE name = \'" + name + "\'")',
                "severity": "critical",
                "category": "security",
                "title": "SQL injection in find_user",
                "message": 'name is concatenated into SQL; name="\' OR 1=1 --" dumps users.',
                "cwe": "CWE-89",
                "fix": {
                    "replacement": '    cur.execute("SELECT * FROM users WHERE name = ?", (name,))'
                },
                "confidence": 0.95,
            },
            {
                "path": "app/web.py",
                "line": 11 - offset,
                "quote": '    return subprocess.check_output("ping -c 1 " + host, shell=True)',
                "severity": "critical",
                "category": "security",
                "title": "Command injection in ping",
                "message": "host reaches a shell; host='x; rm -rf ~' runs commands.",
                "cwe": "CWE-78",
            },
            {
                "path": "app/web.py",
                "line": 15,
                "quote": 'path = os.path.join("/srv/reports", name)',
                "severity": "high",
                "category": "security",
                "title": "Path traversal in read_report",
                "message": "name='../../etc/passwd' escapes /srv/reports.",
                "cwe": "CWE-22",
            },
            {
                "path": "app/web.py",
                "line": 7,
                # the model saw the value redacted, and quotes what it saw
                "quote": 'API_PASSWORD = "<redacted:password-assignment>"',
                "severity": "high",
                "category": "security",
                "title": "Hard-coded credential",
                "message": "A password in source control.",
                "cwe": "CWE-798",
            },
            {
                "path": "app/db.py",
                "line": 4,
                "quote": "from app.web import current_user  # the data layer reaches up into the web layer",
                "severity": "medium",
                "category": "architecture",
                "title": "Data layer imports the web layer",
                "message": "db imports web and web imports db: a layering violation and a cycle.",
                "related": [
                    {
                        "path": "app/web.py",
                        "line": 5,
                        "quote": "from app import db",
                        "message": "web imports db",
                    }
                ],
            },
        ],
        "summary": "Five problems: three injections, a credential, a layering cycle.",
    }
