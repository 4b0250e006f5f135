"""Which paths are never sent, whatever .gitignore says, and what kind of file a path is.

Rules are matched on the workspace-relative POSIX path. Secret names are matched whatever
their case (``.ENV``, ``ID_RSA``, ``Credentials.JSON``, ``.AWS/Credentials``): on the
case-insensitive file systems of macOS and Windows those are the same files. Each refusal
has a reason that the plan shows (``secret-path``, ``lockfile``, ``generated``,
``excluded``).
"""

from __future__ import annotations

import fnmatch
import re

# Paths whose whole content is a secret or a credential store.
SECRET_PATH_PATTERNS: tuple[str, ...] = (
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.crt.key",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.ppk",
    ".npmrc",
    ".pypirc",
    ".netrc",
    "_netrc",
    ".git-credentials",
    ".dockercfg",
    ".htpasswd",
    "*.tfstate",
    "*.tfstate.*",
    "*.tfvars",
    "kubeconfig",
    "*.kubeconfig",
    "credentials.json",
    "service-account*.json",
    "secrets.yml",
    "secrets.yaml",
    "*.gpg",
    "*.asc",
    "*.age",
    "*.sops.*",
)
# Secret stores recognised by their directory.
SECRET_DIR_FILES: tuple[tuple[str, str], ...] = (
    (".aws", "credentials"),
    (".aws", "config"),
    (".kube", "config"),
    (".docker", "config.json"),
    (".ssh", "*"),
    (".gnupg", "*"),
)
# Allowed despite matching a secret pattern: templates meant to be committed.
SECRET_PATH_ALLOW: tuple[str, ...] = (
    ".env.example",
    ".env.sample",
    ".env.template",
    ".env.dist",
    "*.example.env",
)

LOCKFILES: frozenset[str] = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lockb",
        "bun.lock",
        "poetry.lock",
        "uv.lock",
        "pdm.lock",
        "Pipfile.lock",
        "Cargo.lock",
        "go.sum",
        "composer.lock",
        "Gemfile.lock",
        "mix.lock",
        "pubspec.lock",
        "Podfile.lock",
        "packages.lock.json",
        "flake.lock",
        "gradle.lockfile",
        "conda-lock.yml",
        "Package.resolved",
    }
)
GENERATED_PATTERNS: tuple[str, ...] = (
    "*.min.js",
    "*.min.mjs",
    "*.min.css",
    "*.map",
    "*.bundle.js",
    "*.chunk.js",
    "*.pb.go",
    "*_pb2.py",
    "*_pb2_grpc.py",
    "*.pb.cc",
    "*.pb.h",
    "*.generated.*",
    "*.g.dart",
    "*.designer.cs",
    "*.pyc",
    "*.snap",
)
# Directories that hold tools' state, dependencies or build output, not the project's code.
EXCLUDED_DIRS: frozenset[str] = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".gradle",
        ".idea",
        ".bigpicture",
        ".terraform",
        ".next",
        ".nuxt",
        ".cache",
        ".eggs",
    }
)

_GLOB_CACHE: dict[tuple[str, ...], re.Pattern[str]] = {}
_SECRET_DIRS = frozenset(d for d, _ in SECRET_DIR_FILES)


def _glob_re(patterns: tuple[str, ...]) -> re.Pattern[str]:
    rx = _GLOB_CACHE.get(patterns)
    if rx is None:
        rx = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns), re.I)
        _GLOB_CACHE[patterns] = rx
    return rx


def refusal(path: str) -> tuple[str, str] | None:
    """``(reason, detail)`` when ``path`` must never be sent by its name, else None."""
    parts = path.split("/")
    name = parts[-1]
    for d in parts[:-1]:
        if d in EXCLUDED_DIRS:
            return "excluded", f"inside {d}/"
    if _glob_re(SECRET_PATH_PATTERNS).match(name) and not _glob_re(SECRET_PATH_ALLOW).match(name):
        return "secret-path", "credential or key file"
    if len(parts) >= 2 and parts[-2].lower() in _SECRET_DIRS:
        for dirname, pattern in SECRET_DIR_FILES:
            if parts[-2].lower() == dirname and _glob_re((pattern,)).match(name):
                return "secret-path", f"credential store {parts[-2]}/{name}"
    if name in LOCKFILES:
        return "lockfile", "dependency lock file"
    if _glob_re(GENERATED_PATTERNS).match(name):
        return "generated", "generated or minified file"
    return None


_TEST_RE = re.compile(
    r"(^|/)(tests?|__tests__|spec|specs|testing)/|(^|/)test_[^/]*$|_test\.[a-z]+$|"
    r"\.(test|spec)\.[a-z]+$|(^|/)conftest\.py$",
    re.I,
)
_DOC_RE = re.compile(
    r"(^|/)(docs?|documentation)/|\.(md|rst|txt|adoc)$|(^|/)(LICENSE|CHANGELOG)", re.I
)
_VENDOR_RE = re.compile(r"(^|/)(vendor|vendored|third_party|thirdparty|external|extern)/", re.I)
_CONFIG_RE = re.compile(r"\.(toml|ya?ml|json|ini|cfg|conf|lock|xml|properties)$", re.I)


_DOC_ENDS = (".md", ".rst", ".txt", ".adoc")
_CONFIG_ENDS: tuple[str, ...] = (".toml", ".yaml", ".yml", ".json", ".ini", ".cfg", ".conf")
_CONFIG_ENDS += (".lock", ".xml", ".properties")


def kind_of(path: str) -> str:
    """``vendor``, ``test``, ``doc``, ``config`` or ``source``: drives budgeting priority.

    Each regex runs only when a word every one of its alternatives contains is in the path
    (a substring test is far cheaper than a search, and a large repository has many paths)."""
    low = path.lower()
    if ("vendor" in low or "third" in low or "extern" in low) and _VENDOR_RE.search(path):
        return "vendor"
    if ("test" in low or "spec" in low) and _TEST_RE.search(path):
        return "test"
    doc_words = "doc" in low or "license" in low or "changelog" in low
    if (doc_words or low.endswith(_DOC_ENDS)) and _DOC_RE.search(path):
        return "doc"
    if low.endswith(_CONFIG_ENDS) and _CONFIG_RE.search(path):
        return "config"
    return "source"
