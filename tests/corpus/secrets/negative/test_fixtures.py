"""Fixtures with obvious placeholders: none of these is a secret."""

import os

import pytest

DUMMY_PASSWORD = "changeme"
API_KEY = "<your-api-key>"
GITHUB_TOKEN = "${GITHUB_TOKEN}"
AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
STRIPE_KEY = "sk_test_xxxxxxxxxxxxxxxxxxxxxxxx"
SLACK_TOKEN = "xoxb-your-token-here"
OPENAI_API_KEY = "sk-...your-key..."
password = "********"
secret = "{{ vault_secret }}"
token = "%(token)s"


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("API_TOKEN", "test-token")
    password = os.environ["DB_PASSWORD"]
    token = os.environ.get("API_TOKEN", "")
    return make_client(password=password, token=token)


def test_login(client):
    assert client.login(username="alice", password="password")
    assert client.token == client.auth.token
