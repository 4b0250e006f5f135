"""Never-sent file names are matched whatever their case: on macOS and Windows ``.ENV`` is the
same file as ``.env``, and people do name files ``ID_RSA`` or ``Credentials.JSON``."""

from __future__ import annotations

from pathlib import Path

import pytest
from bigpicture.core.config import Settings
from bigpicture.core.gather import pathrules
from bigpicture.core.gather.gather import gather
from conftest import commit, write

SECRET_NAMES = [
    ".env",
    ".ENV",
    ".Env.Production",
    "config/.ENV.local",
    "ID_RSA",
    "keys/Id_Ed25519.pub",
    "Credentials.JSON",
    "Service-Account-Prod.JSON",
    "certs/Server.PEM",
    "tls/PRIVATE.KEY",
    ".NPMRC",
    ".PyPIRC",
    "_NETRC",
    "Kubeconfig",
    "infra/Prod.TFSTATE",
    "infra/Prod.TFVARS",
    "Secrets.YAML",
    ".AWS/Credentials",
    ".aws/CONFIG",
    ".SSH/known_hosts",
    ".Docker/Config.json",
]


@pytest.mark.parametrize("path", SECRET_NAMES)
def test_secret_names_are_refused_in_any_case(path: str):
    refusal = pathrules.refusal(path)
    assert refusal is not None and refusal[0] == "secret-path", refusal


@pytest.mark.parametrize("path", [".env.example", ".ENV.EXAMPLE", ".Env.Sample", "app.Example.env"])
def test_templates_meant_to_be_committed_are_allowed_in_any_case(path: str):
    assert pathrules.refusal(path) is None


@pytest.mark.parametrize("path", ["environment.py", "keyboard.rs", "credentials_test.py", "pem.md"])
def test_names_that_merely_resemble_secret_files_are_sent(path: str):
    assert pathrules.refusal(path) is None


def test_the_gather_never_sends_an_upper_case_secret_file(repo: Path):
    write(repo, "app.py", "print('hi')\n")
    write(repo, ".ENV", "DB_PASSWORD=hunter2hunter2\n")
    write(repo, "deploy/ID_RSA", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg==\n")
    write(repo, "Credentials.JSON", '{"token": "x"}\n')
    commit(repo, "init")
    snap = gather(repo, Settings())
    assert {f.path for f in snap.files} == {"app.py"}
    reasons = {s.path: s.reason for s in snap.skipped}
    assert reasons == {
        ".ENV": "secret-path",
        "deploy/ID_RSA": "secret-path",
        "Credentials.JSON": "secret-path",
    }
