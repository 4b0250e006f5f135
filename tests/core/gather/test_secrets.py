"""Secret redaction: every rule with a canary, structure and line endings kept, false-positive
guards, diff text, private-key blocks, non-UTF-8 text, and fail-closed errors.

Canaries are generated from a seeded RNG, so the repository holds no secret-looking literals
and the values are random the way real keys are.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
import time

import pytest
from bigpicture.core.errors import SecretScanError
from bigpicture.core.gather import secrets
from bigpicture.core.gather.secrets import RedactionHit, redact
from bigpicture.core.gather.secretscan import keyed as secret_keyed
from bigpicture.core.gather.secretscan import pem as secret_pem
from bigpicture.core.gather.secretscan import values as secret_values
from bigpicture.core.lines import line_count, split_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

RNG = random.Random(20261125)
B62 = string.ascii_letters + string.digits
B64 = B62 + "+/"
B64URL = B62 + "-_"
UPPER32 = string.ascii_uppercase + "234567"
EOL = re.compile(r"\r\n|\r|\n")


def rand(alphabet: str, n: int) -> str:
    """A random string with at least one lower, upper and digit where the alphabet has them."""
    while True:
        s = "".join(RNG.choice(alphabet) for _ in range(n))
        need = [
            cls
            for cls in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
            if set(cls) & set(alphabet)
        ]
        if all(set(s) & set(cls) for cls in need):
            return s


def b64url(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


AWS_ID = "AKIA" + rand(UPPER32, 16)
AWS_STS_ID = "ASIA" + rand(UPPER32, 16)
AWS_SECRET = rand(B64, 40)
GH = {p: f"gh{p}_" + rand(B62, 36) for p in "pousr"}
GH_PAT = "github_pat_" + rand(B62, 22) + "_" + rand(B62, 59)
ANTHROPIC = "sk-ant-api03-" + rand(B64URL, 93) + "AA"
OPENAI = "sk-" + rand(B62, 48)
OPENAI_PROJ = "sk-proj-" + rand(B64URL, 120)
SLACK_BOT = "xoxb-" + rand(string.digits, 11) + "-" + rand(string.digits, 13) + "-" + rand(B62, 24)
SLACK_USER = "xoxp-" + rand(string.digits, 11) + "-" + rand(string.digits, 12) + "-" + rand(B62, 32)
SLACK_HOOK_PATH = f"services/T{rand(UPPER32, 8)}/B{rand(UPPER32, 10)}/{rand(B62, 24)}"
STRIPE_LIVE = "sk_live_" + rand(B62, 24)
STRIPE_RESTRICTED = "rk_live_" + rand(B62, 24)
STRIPE_TEST = "sk_test_" + rand(B62, 24)
GOOGLE = "AIza" + rand(B64URL, 35)
NPM = "npm_" + rand(B62, 36)
PYPI = "pypi-AgEIcHlwaS5vcmc" + rand(B64URL, 70)
JWT = (
    b64url({"alg": "HS256", "typ": "JWT"})
    + "."
    + b64url({"sub": rand(string.digits, 10), "name": "Jo", "iat": 1516239022})
    + "."
    + rand(B64URL, 43)
)
GENERIC = rand(B62, 32)
HEX = "".join(RNG.choice("0123456789abcdef") for _ in range(40))
PASSWORD = "Tr0ub4dor&" + rand(B62, 6)
DB_PASSWORD = "p4ss-" + rand(B62, 12)


def pem_body(lines: int = 4, width: int = 64) -> list[str]:
    return [rand(B64, width) for _ in range(lines - 1)] + [rand(B64, 20) + "=="]


def windows(value: str, size: int = 8) -> set[str]:
    """Every substring of ``value`` of length ``size``: none may survive redaction."""
    if len(value) <= size:
        return {value}
    return {value[i : i + size] for i in range(len(value) - size + 1)}


def assert_gone(out: str, *values: str) -> None:
    for value in values:
        leaked = [w for w in windows(value) if w in out]
        assert not leaked, f"part of a secret survived: {leaked[:3]}"


def rules(hits: list[RedactionHit]) -> set[str]:
    return {h.rule for h in hits}


# --------------------------------------------------------------------------- one case per rule

CASES = [
    # (id, text, canary, rule, line)
    ("aws-id", f'AWS_KEY = "{AWS_ID}"\n', AWS_ID, "aws-access-key", 1),
    ("aws-sts-id", f"key_id: {AWS_STS_ID}\n", AWS_STS_ID, "aws-access-key", 1),
    (
        "aws-secret-credentials-file",
        f"[default]\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\n",
        AWS_SECRET,
        "aws-secret-key",
        3,
    ),
    (
        "aws-secret-beside-id",
        f'session = boto3.Session("{AWS_ID}", "{AWS_SECRET}")\n',
        AWS_SECRET,
        "aws-secret-key",
        1,
    ),
    *[(f"github-gh{p}", f"x = '{tok}'\n", tok, "github-token", 1) for p, tok in GH.items()],
    ("github-pat", f"gh = Github({GH_PAT!r})\n", GH_PAT, "github-token", 1),
    ("anthropic", f"client = Anthropic(api_key='{ANTHROPIC}')\n", ANTHROPIC, "anthropic-key", 1),
    ("openai", f"openai.api_key = '{OPENAI}'\n", OPENAI, "openai-key", 1),
    ("openai-project", f"OPENAI_API_KEY={OPENAI_PROJ}\n", OPENAI_PROJ, "openai-key", 1),
    ("slack-bot", f"slack = WebClient(token='{SLACK_BOT}')\n", SLACK_BOT, "slack-token", 1),
    ("slack-user", f"curl -H 'x: {SLACK_USER}'\n", SLACK_USER, "slack-token", 1),
    (
        "slack-webhook",
        f'post("https://hooks.slack.com/{SLACK_HOOK_PATH}")\n',
        SLACK_HOOK_PATH,
        "slack-webhook",
        1,
    ),
    ("stripe-live", f"stripe.api_key = '{STRIPE_LIVE}'\n", STRIPE_LIVE, "stripe-key", 1),
    ("stripe-restricted", f"k = {STRIPE_RESTRICTED}\n", STRIPE_RESTRICTED, "stripe-key", 1),
    ("stripe-test", f"charge({STRIPE_TEST!r})\n", STRIPE_TEST, "stripe-key", 1),
    ("google", f'const maps = load("{GOOGLE}");\n', GOOGLE, "google-api-key", 1),
    ("npm", f"//registry.npmjs.org/ {NPM}\n", NPM, "npm-token", 1),
    ("pypi", f"upload(token={PYPI!r})\n", PYPI, "pypi-token", 1),
    ("jwt", f"headers['X'] = '{JWT}'\n", JWT, "jwt", 1),
    # connection strings: the password only
    (
        "postgres",
        f'DATABASE_URL = "postgres://app:{DB_PASSWORD}@db.internal:5432/app"\n',
        DB_PASSWORD,
        "connection-string",
        1,
    ),
    (
        "mysql",
        f"url: mysql+pymysql://root:{DB_PASSWORD}@localhost/db\n",
        DB_PASSWORD,
        "connection-string",
        1,
    ),
    (
        "mongodb-srv",
        f"MONGO = 'mongodb+srv://svc:{DB_PASSWORD}@cluster0.ab1cd.mongodb.net/?retryWrites=true'\n",
        DB_PASSWORD,
        "connection-string",
        1,
    ),
    (
        "redis",
        f"REDIS_URL=redis://:{DB_PASSWORD}@cache:6379/0\n",
        DB_PASSWORD,
        "connection-string",
        1,
    ),
    ("amqp", f"broker = 'amqp://guest:{DB_PASSWORD}@mq//'\n", DB_PASSWORD, "connection-string", 1),
    (
        "generic-url",
        f"git clone https://deploy:{DB_PASSWORD}@git.example.org/team/repo.git\n",
        DB_PASSWORD,
        "connection-string",
        1,
    ),
    (
        "url-password-with-at",
        f"postgres://app:{DB_PASSWORD}@x@db/app\n",
        DB_PASSWORD + "@x",
        "connection-string",
        1,
    ),
    # passwords in many languages and formats
    ("py-password", f'password = "{PASSWORD}"\n', PASSWORD, "password-assignment", 1),
    ("py-annotated", f'DB_PASSWORD: str = "{PASSWORD}"\n', PASSWORD, "password-assignment", 1),
    ("py-kwarg", f"connect(user='u', passwd='{PASSWORD}')\n", PASSWORD, "password-assignment", 1),
    ("py-dict", f'cfg["password"] = "{PASSWORD}"\n', PASSWORD, "password-assignment", 1),
    ("py-bytes", f"pwd = b'{PASSWORD}'\n", PASSWORD, "password-assignment", 1),
    ("py-compare", f'if password == "{PASSWORD}":\n', PASSWORD, "password-assignment", 1),
    ("js-const", f'const dbPassword = "{PASSWORD}";\n', PASSWORD, "password-assignment", 1),
    ("ts-object", f"  password: '{PASSWORD}',\n", PASSWORD, "password-assignment", 1),
    ("js-template", f"let pass = `{PASSWORD}`\n", PASSWORD, "password-assignment", 1),
    ("yaml-plain", f"db:\n  password: {PASSWORD}\n", PASSWORD, "password-assignment", 2),
    ("yaml-quoted", f'  - POSTGRES_PASSWORD="{PASSWORD}"\n', PASSWORD, "password-assignment", 1),
    ("json", f'{{"user": "u", "password": "{PASSWORD}"}}\n', PASSWORD, "password-assignment", 1),
    (
        "json-escaped",
        f'"{{\\"password\\": \\"{PASSWORD}\\"}}"\n',
        PASSWORD,
        "password-assignment",
        1,
    ),
    ("ini", f"[db]\npassword = {PASSWORD}\n", PASSWORD, "password-assignment", 2),
    ("toml", f'[db]\npassword = "{PASSWORD}"\n', PASSWORD, "password-assignment", 2),
    ("properties", f"spring.datasource.password={PASSWORD}\n", PASSWORD, "password-assignment", 1),
    ("shell-export", f"export PGPASSWORD='{PASSWORD}'\n", PASSWORD, "password-assignment", 1),
    ("dotenv", f"DB_PASS={PASSWORD}\n", PASSWORD, "password-assignment", 1),
    ("go", f'\tdbPassword := "{PASSWORD}"\n', PASSWORD, "password-assignment", 1),
    ("go-var", f'var password string = "{PASSWORD}"\n', PASSWORD, "password-assignment", 1),
    (
        "java",
        f'    private static final String PASSWORD = "{PASSWORD}";\n',
        PASSWORD,
        "password-assignment",
        1,
    ),
    ("php", f"$config['db_password'] = '{PASSWORD}';\n", PASSWORD, "password-assignment", 1),
    ("ruby-hash", f"  :password => '{PASSWORD}',\n", PASSWORD, "password-assignment", 1),
    ("xml", f"<password>{PASSWORD}</password>\n", PASSWORD, "password-assignment", 1),
    ("cli-flag", f"run --password={PASSWORD} --user x\n", PASSWORD, "password-assignment", 1),
    (
        "query-string",
        f'u = "/login?user=a&password={PASSWORD}"\n',
        PASSWORD,
        "password-assignment",
        1,
    ),
    (
        "markdown-link",
        f"[docs](https://x.io/?token={GENERIC})\n",
        GENERIC,
        "generic-secret-assignment",
        1,
    ),
    # other keyed secrets
    ("api-key", f'API_KEY = "{GENERIC}"\n', GENERIC, "generic-secret-assignment", 1),
    ("client-secret", f"clientSecret: '{GENERIC}'\n", GENERIC, "generic-secret-assignment", 1),
    ("auth-token-env", f"export AUTH_TOKEN={GENERIC}\n", GENERIC, "generic-secret-assignment", 1),
    ("secret-key-hex", f"SECRET_KEY = '{HEX}'\n", HEX, "generic-secret-assignment", 1),
    (
        "bearer-header",
        f'headers = {{"Authorization": "Bearer {GENERIC}"}}\n',
        GENERIC,
        "generic-secret-assignment",
        1,
    ),
    (
        "authorization-yaml",
        f"Authorization: Bearer {GENERIC}\n",
        GENERIC,
        "generic-secret-assignment",
        1,
    ),
    ("credentials", f"credentials = '{GENERIC}'\n", GENERIC, "generic-secret-assignment", 1),
    (
        "totp-env",
        "TOTP_SECRET=JBSWY3DPEHPK3PXPQ7ZX\n",
        "JBSWY3DPEHPK3PXPQ7ZX",
        "generic-secret-assignment",
        1,
    ),
    ("dockerfile-env", "ENV DB_PASSWORD=secretvalue1\n", "secretvalue1", "password-assignment", 1),
    (
        "ci-env-block",
        "env:\n  DB_PASSWORD: secretvalue1\n",
        "secretvalue1",
        "password-assignment",
        2,
    ),
    (
        "k8s-secret-base64",
        "data:\n  password: cGFzc3dvcmQxMjM0NQ==\n",
        "cGFzc3dvcmQxMjM0NQ==",
        "password-assignment",
        2,
    ),
    (
        "dotenv-passphrase",
        "DB_PASSWORD=correcthorsebatterystaple\n",
        "correcthorsebatterystaple",
        "password-assignment",
        1,
    ),
    (
        "cli-mid-line",
        f"mysql -h db --password={PASSWORD}! -e 'select 1'\n",
        PASSWORD + "!",
        "password-assignment",
        1,
    ),
    ("access-token-go", f'accessToken := "{GENERIC}"\n', GENERIC, "generic-secret-assignment", 1),
    (
        "private-key-var-aws-shape",
        f'aws_secret = "{AWS_SECRET}"\n',
        AWS_SECRET,
        "aws-secret-key",
        1,
    ),
]


@pytest.mark.parametrize(
    ("text", "canary", "rule", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_rule_redacts_its_canary(text: str, canary: str, rule: str, line: int):
    out, hits = redact(text)
    assert_gone(out, canary)
    assert f"<redacted:{rule}>" in out
    assert RedactionHit(line=line, rule=rule) in hits
    assert line_count(out) == line_count(text)


def test_value_only_is_replaced_and_the_code_around_it_stays():
    out, hits = redact(f'AWS_KEY = "{AWS_ID}"  # prod\nother = 1\n')
    assert out == 'AWS_KEY = "<redacted:aws-access-key>"  # prod\nother = 1\n'
    assert hits == [RedactionHit(line=1, rule="aws-access-key")]

    out, _ = redact(f"    password: '{PASSWORD}',\n")
    assert out == "    password: '<redacted:password-assignment>',\n"

    out, _ = redact(f"url = 'postgres://app:{DB_PASSWORD}@db.internal:5432/app'\n")
    assert out == "url = 'postgres://app:<redacted:connection-string>@db.internal:5432/app'\n"

    out, _ = redact(f"post('https://hooks.slack.com/{SLACK_HOOK_PATH}')")
    assert out == "post('https://hooks.slack.com/<redacted:slack-webhook>')"


def test_several_secrets_on_several_lines_are_reported_in_line_order():
    text = f"a = '{GH['p']}'\n\nb = '{ANTHROPIC}'; c = '{STRIPE_LIVE}'\npassword = '{PASSWORD}'\n"
    out, hits = redact(text)
    assert_gone(out, GH["p"], ANTHROPIC, STRIPE_LIVE, PASSWORD)
    assert hits == [
        RedactionHit(1, "github-token"),
        RedactionHit(3, "anthropic-key"),
        RedactionHit(3, "stripe-key"),
        RedactionHit(4, "password-assignment"),
    ]


def test_overlapping_findings_are_one_redaction_named_by_the_specific_rule():
    out, hits = redact(f'GITHUB_TOKEN = "{GH["p"]}"\n')
    assert out == 'GITHUB_TOKEN = "<redacted:github-token>"\n'
    assert hits == [RedactionHit(1, "github-token")]


def test_text_without_secrets_is_returned_as_is():
    text = "def f(x):\n    return x + 1\n"
    out, hits = redact(text)
    assert out is text and hits == []
    assert redact("") == ("", [])


# --------------------------------------------------------------------------- false positives

NOT_SECRETS = [
    'password = os.environ["DB_PASSWORD"]',
    "password = os.environ.get('X', '')",
    'password = ""',
    "password = None",
    "password: str",
    "password: Optional[str] = None",
    "def login(user: str, password: str) -> bool:",
    "token = get_token()",
    "token = self.token",
    "api_key = settings.api_key",
    "api_key = config?.auth?.apiKey",
    "password = getpass.getpass()",
    'password = "changeme"',
    "password = 'password'",
    'PASSWORD = "your-password-here"',
    'api_key = "<your-key>"',
    'api_key = "<API_KEY>"',
    'token = "${GITHUB_TOKEN}"',
    "token: ${{ secrets.GITHUB_TOKEN }}",
    'password = "{{ db_password }}"',
    'secret = f"{prefix}-{name}"',
    'password = "xxxx"',
    'password = "********"',
    'SECRET_KEY = "..."',
    'password = "test"',
    'password = "hunter"',
    "password = 'admin'",
    'password = "secret"',
    'token = "dummy-token-for-tests-1234"',
    'api_key = "sk-test-1234"',
    'api_key = "example-key-123456789"',
    "PASSWORD=$DB_PASSWORD",
    "export TOKEN=$(cat /run/secrets/token)",
    "password: !vault |",
    "password: *default_password",
    'password_field = "input#password"',
    'token_url = "https://oauth2.googleapis.com/token"',
    'TOKEN_TYPE = "Bearer"',
    "max_tokens = 4096",
    "max_tokens=100000",
    'tokenizer = "bert-base-uncased-v2"',
    'author = "Jane Doe 2024"',
    'secret_name = "prod/db/credentials2"',
    "for token in tokens:",
    "if key in keys: pass",
    "key = cache_key(user_id, 42)",
    'sort_key = "name"',
    'key = "user:1234:profile"',
    'token = r"[-!#$%&\'*+.^_`|~0-9a-zA-Z]+"',
    "const HTTP_TOKENS = /^[\\u0009\\u0020-\\u007E]+$/",
    'password_regex = r"^(?=.*\\d)(?=.*[a-z]).{8,}$"',
    'headers = {"Authorization": f"Bearer {token}"}',
    'auth_header = "Authorization: Bearer %s" % token',
    "auth = HTTPBasicAuth(user, password)",
    "session_token_expiry = 3600",
    'const pk = "pk_live_' + rand(B62, 24) + '"',
    'version = "2024-01-01T00:00:00Z"',
    "risk-assessment-framework-version = 3",
    "pip install scikit-learn-extra-features-pack",
    "url = 'https://user@example.com/path'",
    "url = 'http://localhost:8080/api/users/me@example.com'",
    "proxy_url='socks5h://<username>:<password>@proxy-host'",
    "dsn = 'postgres://user:password@localhost/db'",
    "dsn = 'postgres://user:${DB_PASSWORD}@localhost/db'",
    "dsn = 'mysql://scott:****@localhost/db'",
    "git@github.com:org/repo.git",
    "lambda token: token.strip()",
    "{token: value for token, value in pairs}",
    "    -----BEGIN CERTIFICATE-----",
    "-----BEGIN PUBLIC KEY-----",
    "keyboard = Keyboard(layout='us-intl-2')",
    "monkey = 'AbCdEf1234567890XyZ'",
    "passage = 'Lorem1234ipsumDolor'",
    # minified and generated code, translations, constants
    "e.ProgressType=e.ProgressToken=void 0,e.MessageStrategy=e.CancellationStrategy=void 0;",
    'maxTokens:1e3,strategy:"after",tokenBudget:r.tokenBudget/3,x:1',
    'return{kind:"usage",promptTokens:s?.inputTokens??0,completionTokens:s?.outputTokens??0}',
    "u.password=!!n.password,u.ignoreFocusOut=!0",
    "password=parts['password'],",
    "})(CancellationToken2 || (exports.CancellationToken = CancellationToken2 = {}));",
    "  authenticatorData: Base64URLString;",
    'var customArgumentsToken="__ES6-PROMISIFY--CUSTOM-ARGUMENTS__";',
    'SHA256_TOKEN_TO_REFRESH:"sha256_token_to_refresh",',
    '"LOGIN_PASSWORD": "パスワードは設定ファイルを確認してください。",',
    '"t_token_here_1007": "分析器预期在此处找到与“{0}”标记匹配的“{1}”。",',
    '"INCORRECT_PASSWORD": "The password you entered is wrong",',
    "    readonly STENCIL_PASS_DEPTH_PASS: 0x0B96;",
    "    DB_PASSWORD: SecretStr",
    "    API_TOKEN: Optional[SecretStr] = None",
    "  password = secretvalue1",
    "var xs = parse('beep', { PWD: '/home/robot' });",
    "  v8::Local<v8::Private> private_key = NewPrivateSymbol(isolate, key);",
    'this.STORAGE_KEY="workbench.scm.quickDiffProviders.hidden"',
    'this.STORAGE_KEY_LAST_KNOWN="chat.hasByokModels.lastKnown"',
    'static logLevelChangedStorageKey="typescript.tsserver.logLevelChanged";',
    'throw new TypeError("URL includes credentials: "+e);o=Zst({urlList:[y]}),a="cors"',
    'l("div",{},"Used Tokens: ",l(T,{value:t.tokens})," / ","Priority:")',
    'var u="-----BEGIN PRIVATE KEY-----",h="-----END PRIVATE KEY-----";',
    "const re = /^-----BEGIN OPENSSH PRIVATE KEY-----(?:\\r\\n|\\n)([\\s\\S]+)(?:\\r\\n|\\n)"
    "-----END OPENSSH PRIVATE KEY-----$/;",
]


@pytest.mark.parametrize("line", NOT_SECRETS)
def test_ordinary_code_is_not_redacted(line: str):
    text = line + "\n"
    out, hits = redact(text)
    assert hits == [], hits
    assert out == text


ALPHABETS = {
    "hex": "0123456789abcdef",
    "base62": B62,
    "base64": B64,
    "lower36": string.ascii_lowercase + string.digits,
    "base32": UPPER32,
    "django": string.ascii_lowercase + string.digits + "!@#$%^&*(-_=+)",
}


@pytest.mark.parametrize("alphabet", ALPHABETS)
@pytest.mark.parametrize(("length", "recall"), [(20, 0.95), (32, 0.99), (40, 0.99)])
def test_recall_of_random_keyed_values(alphabet: str, length: int, recall: float):
    """Keyed random values of usual lengths are redacted whatever their alphabet (the misses
    are the rare draws that look like words or repeat characters)."""
    rng = random.Random(length)
    chars = ALPHABETS[alphabet]
    values = ["".join(rng.choice(chars) for _ in range(length)) for _ in range(400)]
    caught = sum("<redacted:" in redact(f'API_TOKEN = "{v}"\n')[0] for v in values)
    assert caught >= recall * len(values)


# --------------------------------------------------------------------------- private keys

PEM_KINDS = [
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "DSA PRIVATE KEY",
    "OPENSSH PRIVATE KEY",
    "PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "PGP PRIVATE KEY BLOCK",
]


@pytest.mark.parametrize("kind", PEM_KINDS)
def test_private_key_block_keeps_begin_end_and_line_count(kind: str):
    body = pem_body(6)
    block = [f"-----BEGIN {kind}-----", *body, f"-----END {kind}-----"]
    text = "import os\n" + "\n".join(block) + "\nprint('after')\n"
    out, hits = redact(text)
    assert_gone(out, *body)
    lines = split_lines(out)
    assert len(lines) == len(split_lines(text))
    assert lines[1] == block[0] and lines[len(block)] == block[-1]
    assert lines[2 : len(block)] == ["<redacted:private-key>"] * len(body)
    assert lines[0] == "import os" and lines[-2] == "print('after')"
    assert hits == [RedactionHit(2, "private-key")]


def test_encrypted_pem_with_headers_and_blank_line():
    body = pem_body(3)
    text = (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        "Proc-Type: 4,ENCRYPTED\n"
        f"DEK-Info: AES-128-CBC,{rand('0123456789ABCDEF', 32)}\n"
        "\n" + "\n".join(body) + "\n-----END RSA PRIVATE KEY-----\n"
    )
    out, _ = redact(text)
    assert_gone(out, *body)
    assert "DEK-Info" not in out
    assert line_count(out) == line_count(text)


def test_pem_in_a_python_string_keeps_indentation_and_quotes():
    body = pem_body(3)
    text = (
        "KEY = (\n"
        '    "-----BEGIN OPENSSH PRIVATE KEY-----\\n"\n'
        + "".join(f'    "{b}\\n"\n' for b in body)
        + '    "-----END OPENSSH PRIVATE KEY-----\\n"\n'
        ")\n"
    )
    out, _ = redact(text)
    assert_gone(out, *body)
    lines = split_lines(out)
    assert lines[2:5] == ['    "<redacted:private-key>\\n"'] * 3
    assert line_count(out) == line_count(text)


def test_pem_in_java_string_concatenation():
    body = pem_body(3)
    text = (
        'String key = "-----BEGIN RSA PRIVATE KEY-----\\n" +\n'
        + "".join(f'    "{b}\\n" +\n' for b in body)
        + '    "-----END RSA PRIVATE KEY-----";\n'
    )
    out, _ = redact(text)
    assert_gone(out, *body)
    assert split_lines(out)[1] == '    "<redacted:private-key>\\n" +'


def test_pem_in_concatenated_strings_on_one_line():
    body = pem_body(2)
    text = (
        'k = "-----BEGIN RSA PRIVATE KEY-----" + "'
        + '" + "'.join(body)
        + '" + "-----END RSA PRIVATE KEY-----"\n'
    )
    out, hits = redact(text)
    assert_gone(out, *body)
    assert out == (
        'k = "-----BEGIN RSA PRIVATE KEY-----" + "<redacted:private-key>" + '
        '"<redacted:private-key>" + "-----END RSA PRIVATE KEY-----"\n'
    )
    assert hits == [RedactionHit(1, "private-key")]


def test_pem_in_triple_quoted_string():
    body = pem_body(4)
    text = (
        'KEY = """-----BEGIN EC PRIVATE KEY-----\n'
        + "\n".join(body)
        + '\n-----END EC PRIVATE KEY-----"""\n'
    )
    out, _ = redact(text)
    assert_gone(out, *body)
    assert split_lines(out)[0] == 'KEY = """-----BEGIN EC PRIVATE KEY-----'
    assert split_lines(out)[-2] == '-----END EC PRIVATE KEY-----"""'


def test_json_service_account_private_key_with_escaped_newlines():
    body = pem_body(5)
    pem = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(body) + "\n-----END PRIVATE KEY-----\n"
    doc = {
        "type": "service_account",
        "project_id": "demo-project",
        "private_key_id": HEX,
        "private_key": pem,
        "client_email": "svc@demo-project.iam.gserviceaccount.com",
    }
    for text in (json.dumps(doc), json.dumps(doc, indent=2)):
        out, hits = redact(text)
        assert_gone(out, *body)
        assert line_count(out) == line_count(text)
        again = json.loads(out)  # still valid JSON
        assert again["private_key"] == (
            "-----BEGIN PRIVATE KEY-----\n"
            + "\n".join(["<redacted:private-key>"] * len(body))
            + "\n-----END PRIVATE KEY-----\n"
        )
        assert again["client_email"] == doc["client_email"]
        assert "private-key" in rules(hits)


def test_double_escaped_pem_in_a_json_string_inside_a_string():
    body = pem_body(3)
    pem = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(body) + "\n-----END RSA PRIVATE KEY-----"
    text = json.dumps({"config": json.dumps({"key": pem})})
    out, _ = redact(text)
    assert_gone(out, *body)
    inner = json.loads(json.loads(out)["config"])
    assert inner["key"].startswith("-----BEGIN RSA PRIVATE KEY-----\n<redacted:private-key>\n")


def test_pem_on_one_line_separated_by_spaces():
    body = pem_body(2)
    text = f'KEY="-----BEGIN RSA PRIVATE KEY----- {" ".join(body)} -----END RSA PRIVATE KEY-----"\n'
    out, _ = redact(text)
    assert_gone(out, *body)
    assert out.startswith('KEY="-----BEGIN RSA PRIVATE KEY----- <redacted:private-key>')


def test_truncated_pem_without_end_redacts_the_body_and_keeps_what_follows():
    body = pem_body(4)
    text = (
        "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(body) + "\n\ndef after():\n    return 1\n"
    )
    out, _ = redact(text)
    assert_gone(out, *body)
    assert out.endswith("\n\ndef after():\n    return 1\n")
    assert line_count(out) == line_count(text)


def test_pem_with_crlf_and_cr_line_endings():
    body = pem_body(3)
    for nl in ("\r\n", "\r"):
        text = nl.join(
            ["x = 1", "-----BEGIN PRIVATE KEY-----", *body, "-----END PRIVATE KEY-----", ""]
        )
        out, _ = redact(text)
        assert_gone(out, *body)
        assert EOL.findall(out) == EOL.findall(text)
        assert split_lines(out)[2] == "<redacted:private-key>"


def test_two_pem_blocks_and_a_certificate_between():
    a, b = pem_body(2), pem_body(2)
    cert = [rand(B64, 64)]
    text = "\n".join(
        [
            "-----BEGIN EC PRIVATE KEY-----",
            *a,
            "-----END EC PRIVATE KEY-----",
            "-----BEGIN CERTIFICATE-----",
            *cert,
            "-----END CERTIFICATE-----",
            "-----BEGIN RSA PRIVATE KEY-----",
            *b,
            "-----END RSA PRIVATE KEY-----",
        ]
    )
    out, hits = redact(text)
    assert_gone(out, *a, *b)
    assert cert[0] in out  # certificates are public
    assert [h.line for h in hits] == [1, 8]


# --------------------------------------------------------------------------- diff text


def test_secrets_on_removed_added_and_context_lines_of_a_diff():
    body = pem_body(3)
    diff = (
        "diff --git a/conf.py b/conf.py\n"
        "--- a/conf.py\n"
        "+++ b/conf.py\n"
        "@@ -1,9 +1,9 @@\n"
        f" CONTEXT_TOKEN = '{GH['o']}'\n"
        f"-password = '{PASSWORD}'\n"
        "+password = os.environ['DB_PASSWORD']\n"
        f"+OPENAI = '{OPENAI}'\n"
        "------BEGIN RSA PRIVATE KEY-----\n"
        + "".join(f"-{b}\n" for b in body)
        + "------END RSA PRIVATE KEY-----\n"
        f" url = 'postgres://a:{DB_PASSWORD}@h/db'\n"
    )
    out, hits = redact(diff)
    assert_gone(out, GH["o"], PASSWORD, OPENAI, DB_PASSWORD, *body)
    before, after = split_lines(diff), split_lines(out)
    assert len(before) == len(after)
    # every diff line keeps its marker, and the file headers are untouched
    assert [line[:1] for line in before] == [line[:1] for line in after]
    assert after[:4] == before[:4]
    assert after[6] == before[6]
    assert after[9:12] == ["-<redacted:private-key>"] * 3
    assert {(h.line, h.rule) for h in hits} == {
        (5, "github-token"),
        (6, "password-assignment"),
        (8, "openai-key"),
        (9, "private-key"),
        (14, "connection-string"),
    }


def test_added_pem_in_a_diff_keeps_plus_markers():
    body = pem_body(2)
    diff = (
        "@@ -0,0 +1,4 @@\n+-----BEGIN PRIVATE KEY-----\n"
        + "".join(f"+{b}\n" for b in body)
        + "+-----END PRIVATE KEY-----\n"
    )
    out, _ = redact(diff)
    assert_gone(out, *body)
    assert split_lines(out)[2:4] == ["+<redacted:private-key>"] * 2


# --------------------------------------------------------------------------- encodings


def test_latin1_decoded_text_is_scanned_like_any_text():
    password = "Größe-ñandú-" + rand(B62, 6)
    raw = (f"# café\nAWS = '{AWS_ID}'\npassword = '{password}'\nprint('ñ')\n").encode("latin-1")
    text = raw.decode("latin-1")
    out, hits = redact(text)
    assert_gone(out, AWS_ID, password)
    assert "# café" in out and "print('ñ')" in out
    assert [(h.line, h.rule) for h in hits] == [(2, "aws-access-key"), (3, "password-assignment")]
    out.encode("latin-1")  # still encodable as the file was


def test_dotted_capital_i_does_not_shift_offsets():
    # "İ".lower() is two code points; offsets into the lower-cased copy must still line up.
    text = f"# İİİİ\nİ = 1; password = '{PASSWORD}'; x = 'İ'\n"
    out, hits = redact(text)
    assert out == "# İİİİ\nİ = 1; password = '<redacted:password-assignment>'; x = 'İ'\n"
    assert hits == [RedactionHit(2, "password-assignment")]


def test_line_numbers_count_only_lsp_line_breaks():
    # \x0c, \x85, \u2028 are line breaks for str.splitlines but not for LSP
    text = f"a\rb\r\nc\x0cd\x85e\u2028f\ntoken = '{GENERIC}'\n"
    _, hits = redact(text)
    assert hits == [RedactionHit(4, "generic-secret-assignment")]


# --------------------------------------------------------------------------- properties

SECRET_SNIPPETS = [
    f'AWS_KEY = "{AWS_ID}"',
    f"password = '{PASSWORD}'",
    f"url: postgres://u:{DB_PASSWORD}@h/db",
    f"tok {GH['p']} end",
    f"x={ANTHROPIC}",
    f"'{JWT}'",
    f"api_key: {GENERIC}",
    '"k": "-----BEGIN PRIVATE KEY-----\\n'
    + "\\n".join(pem_body(2))
    + '\\n-----END PRIVATE KEY-----"',
]
PEM_MULTILINE = ["-----BEGIN RSA PRIVATE KEY-----", *pem_body(3), "-----END RSA PRIVATE KEY-----"]
CANARIES = [AWS_ID, PASSWORD, DB_PASSWORD, GH["p"], ANTHROPIC, JWT, GENERIC, *PEM_MULTILINE[1:-1]]

FILLER = [*"abcXYZ019 _=:'\"#-+/.,;(){}[]<>\t", "😋", "錯誤", "a\u0308", "\x0c", "\x85", "\u2028"]
pieces = st.one_of(
    st.lists(st.sampled_from(FILLER), max_size=30).map("".join),
    st.sampled_from(SECRET_SNIPPETS),
)
# Pieces are separated the way code separates things (a secret glued to arbitrary characters
# is a different token, and is tested by the cases above).
separators = st.sampled_from(["\n", "\r\n", "\r", " ", "\t", "; ", ", "])
texts = st.lists(st.tuples(pieces, separators), max_size=40).map(
    lambda parts: "".join(p + sep for p, sep in parts)
)


@given(texts, st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_property_structure_is_kept_and_canaries_are_gone(text: str, nl: str, with_pem: bool):
    if with_pem:
        text = text + nl + nl.join(PEM_MULTILINE) + nl + text
    out, hits = redact(text)
    assert EOL.findall(out) == EOL.findall(text)  # same terminators, in the same order
    assert line_count(out) == line_count(text)
    for canary in CANARIES:
        assert canary not in out
    n = line_count(text)
    assert all(1 <= h.line <= n for h in hits)
    assert hits == sorted(hits, key=lambda h: (h.line, h.rule))
    # lines without a finding are unchanged
    hit_lines = {h.line for h in hits}
    for i, (a, b) in enumerate(zip(split_lines(text), split_lines(out), strict=True), start=1):
        if a != b:
            assert "<redacted:" in b
            assert i in hit_lines or "<redacted:private-key>" in b
    # redacting again changes nothing
    assert redact(out)[0] == out


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_property_arbitrary_text_never_breaks_lines(text: str):
    out, hits = redact(text)
    assert EOL.findall(out) == EOL.findall(text)
    assert all(1 <= h.line <= line_count(text) for h in hits)


# --------------------------------------------------------------------------- fail closed


def test_internal_failure_raises_secret_scan_error_without_leaking_text(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("exploded while looking at " + PASSWORD)

    monkeypatch.setattr(secret_keyed, "find_assignments", boom)
    with pytest.raises(SecretScanError) as info:
        redact(f"password = '{PASSWORD}'\n")
    err = info.value
    assert PASSWORD not in str(err) and PASSWORD not in (err.detail or "")
    assert "RuntimeError" in (err.detail or "")
    assert err.__cause__ is None and err.__suppress_context__


def test_failure_deep_inside_a_rule_also_fails_closed(monkeypatch):
    monkeypatch.setattr(secret_values, "entropy", lambda value: 1 / 0)
    with pytest.raises(SecretScanError):
        redact(f"token = '{GENERIC}'\n")


def test_failure_in_private_key_handling_fails_closed(monkeypatch):
    def boom(*args, **kwargs):
        raise IndexError("bad offset")

    monkeypatch.setattr(secret_pem, "_redact_pem_lines", boom)
    with pytest.raises(SecretScanError):
        redact("\n".join(PEM_MULTILINE))


def test_non_text_input_fails_closed():
    with pytest.raises(SecretScanError):
        redact(b"password = 'x'")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- cost


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN RSA PRIVATE KEY-----" * 20000,  # many BEGINs, no END, one line
        ("-----BEGIN RSA PRIVATE KEY-----\n" + "x" * 40 + "\n") * 5000,
        f"{AWS_ID} " * 20000,  # many ids on one line: the secret-key search stays local
        'password = """unterminated ' * 20000,
        'token = "' + "a" * 300000,  # an unterminated string on a long line
        "://user:" * 50000,  # no "@" anywhere
        "key" * 100000,
        "k-" * 100000 + "sk-" * 50000,
        ("tokentokentoken" * 20 + " = 1\n") * 2000,
    ],
    ids=["begins", "begin-lines", "aws-ids", "tq", "dq", "urls", "keys", "k-dash", "tokens"],
)
def test_pathological_input_is_linear(text: str):
    start = time.process_time()
    out, _ = redact(text)
    elapsed = time.process_time() - start
    assert line_count(out) == line_count(text)
    assert elapsed < 5.0, f"{elapsed:.1f}s for {len(text)} chars"


def test_rule_ids_are_the_documented_ones():
    assert set(secrets.RULES) >= {
        "aws-access-key",
        "github-token",
        "anthropic-key",
        "openai-key",
        "slack-token",
        "stripe-key",
        "google-api-key",
        "private-key",
        "password-assignment",
        "connection-string",
        "generic-secret-assignment",
        "jwt",
    }
    assert all(re.fullmatch(r"[a-z0-9-]+", r) for r in secrets.RULES)


# --------------------------------------------------------------------------- the API and the engine


def test_scan_reports_what_redact_would_replace():
    text = f"a = '{GH['p']}'\npassword = '{PASSWORD}'\nx = 1\n"
    assert secrets.scan(text, "conf.py") == redact(text, "conf.py")[1]
    assert secrets.scan("x = 1\n") == []


def test_a_failure_names_the_path_but_never_the_text(monkeypatch):
    from bigpicture.core.gather.secretscan import engine as secret_scan

    def boom(*args, **kwargs):
        raise ValueError(PASSWORD)

    monkeypatch.setattr(secret_scan, "_matches", boom)
    with pytest.raises(SecretScanError) as info:
        secrets.scan(f"k = '{GH['p']}'\n", "deploy/conf.py")
    assert "deploy/conf.py" in str(info.value)
    assert PASSWORD not in str(info.value) and PASSWORD not in (info.value.detail or "")


def test_only_the_rules_whose_keywords_are_in_the_text_run(monkeypatch):
    """The prefilter: a text with one GitHub token runs the GitHub rule's regex (in a window
    around it) and no other provider's; a text without any keyword runs none."""
    from bigpicture.core.gather.secretscan import engine as secret_scan

    ran: list[str] = []
    real = secret_scan._matches

    def spy(c, text, hits):
        ran.append(c.rule.id)
        return real(c, text, hits)

    monkeypatch.setattr(secret_scan, "_matches", spy)
    filler = "def f(x):\n    return x + 1\n" * 200
    redact(filler)
    assert ran == []
    _, hits = redact(filler + f"gh = Github('{GH['p']}')\n" + filler)
    assert ran == ["github-token"]
    assert hits == [RedactionHit(401, "github-token")]


def test_the_assignment_finder_sees_only_names_followed_by_an_operator(monkeypatch):

    seen: list[list[int]] = []
    real = secret_keyed.find_assignments
    monkeypatch.setattr(
        secret_keyed, "find_assignments", lambda t, c, s: (seen.append(list(c)), real(t, c, s))
    )
    redact("print(tokens)\nuse_token(t, key)\nkeys.sort()\nif password in seen\n")
    assert seen == []  # names without an assignment after them never reach it
    redact(f"token = '{GENERIC}'\n")
    assert seen == [[0]]


FALSE_POSITIVES_FIXED = [
    # OIDs and versions assigned to password-ish names (typeshed's pywin32 stubs)
    'szOID_RSA_challengePwd: Final = "1.2.840.113549.1.9.7"',
    # a name about a key function, not a key
    'CMSG_OID_GEN_ENCRYPT_KEY_FUNC: Final = "CryptMsgDllGenEncryptKey"',
    # the user part of a URL: the password after it is the connection-string rule's
    "git clone https://gitlab-ci-token:${CI_JOB_TOKEN}@gitlab.acme.io/x.git",
    # AWS's documented example key
    'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"',
    # a URL is not a password
    "- A user without password: https://deploy@git.acme.io/infra.git",
    # Rust: match arms on the word, paths, type annotations
    '        "pass" => Outcome::Pass,',
    "use crate::compiler::passes::stmt_pass::StmtPass;",
    "fn parse(token: Token) -> Result<Ast, ParseError> {",
    "    let token: Token = lexer.next_token();",
    # typeshed VERSIONS
    "asyncio.taskgroups: 3.11-",
    "secrets: 3.6-",
    # a mention of a library, not a password
    "mysql -u root -p appdb < schema.sql",
    'sshpass -p "$SSHPASS" ssh deploy@web1 uptime',
]


@pytest.mark.parametrize("line", FALSE_POSITIVES_FIXED)
def test_false_positives_seen_on_real_repositories_stay_fixed(line: str):
    out, hits = redact(line + "\n")
    assert hits == [] and out == line + "\n"


I18N_PASSWORDS = [
    ("contraseña", "es"),
    ("contrasena", "es"),
    ("mot_de_passe", "fr"),
    ("motDePasse", "fr"),
    ("passwort", "de"),
    ("Kennwort", "de"),
    ("senha", "pt"),
    ("palavra_passe", "pt"),
    ("wachtwoord", "nl"),
    ("пароль", "ru"),
    ("ПАРОЛЬ", "ru"),
    ("密码", "zh"),
    ("密碼", "zh-Hant"),
    ("パスワード", "ja"),
    ("비밀번호", "ko"),
]


@pytest.mark.parametrize(("key", "lang"), I18N_PASSWORDS)
@pytest.mark.parametrize(
    "syntax",
    ['{k} = "{v}"', "{k}: {v}", '"{k}": "{v}",', "{k}={v}", "$config['{k}'] = '{v}';"],
    ids=["assign", "yaml", "json", "dotenv", "php"],
)
def test_password_names_in_many_languages(key: str, lang: str, syntax: str):
    value = "Kx7-" + rand(B62, 8)
    out, hits = redact(syntax.format(k=key, v=value) + "\n")
    assert value not in out
    assert [h.rule for h in hits] == ["password-assignment"]


I18N_SECRETS = [
    "secreto",
    "segreto",
    "clave",
    "chave",
    "chiave",
    "geheim",
    "jeton",
    "sleutel",
    "токен",
    "ключ",
    "секрет",
    "密钥",
    "令牌",
    "トークン",
    "シークレット",
    "토큰",
    "clé",
]


@pytest.mark.parametrize("key", I18N_SECRETS)
def test_secret_names_in_many_languages(key: str):
    out, hits = redact(f'{key} = "{GENERIC}"\n')
    assert GENERIC not in out
    assert [h.rule for h in hits] == ["generic-secret-assignment"]
