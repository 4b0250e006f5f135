"""The secret-scan rules, as data: one entry per provider or secret kind.

Each ``Rule`` names the literal keywords that anchor it (the prefilter in
``core.secret_scan`` finds all of them in one pass per automaton and runs a rule's regular
expression only in a window around its keywords' hits), the regular expression itself, what
its value must look like, and at least one example: a line of code holding a value that looks
real but is not a live secret (generated here from a fixed seed; tokens with a checksum get a
wrong one). ``tests/core/test_secret_rules.py`` checks that every example is found and
redacted, in a source line, in a diff line, and in Latin-1 and UTF-16 files through the gather.

Rules whose ``handler`` is not ``"regex"`` are driven by code in the engine (private-key
blocks, assignments to secret-looking names, base64 that decodes to a token, Kubernetes
Secret manifests); their entry still names their keywords and examples.

Keywords are matched exactly as written (token prefixes have one casing; a word that appears
in several casings is listed in each). The name stems of assignments (``KEYWORD_STEMS``) are
matched in their lower-case, Capitalised and UPPER forms. A keyword shorter than 4 bytes
slows the automaton it is in, so short ones are kept few.
"""

from __future__ import annotations

import random
import string

import msgspec

__all__ = [
    "KEYWORD_STEMS",
    "NON_ASCII_STEMS",
    "RULES",
    "Example",
    "Rule",
]


class Example(msgspec.Struct, frozen=True):
    line: str  # a line of code (or a few) holding the secret
    secret: str  # the part of ``line`` that must not survive redaction


class Rule(msgspec.Struct, frozen=True):
    id: str
    description: str
    keywords: tuple[str, ...]
    examples: tuple[Example, ...]
    # For "regex": the finding; its group "secret", when there is one, is what is replaced.
    regex: str = ""
    handler: str = "regex"  # regex | pem | putty | assign | base64 | k8s | aws-pair | shape
    back: int = 0  # how far before a keyword's start a match may begin
    span: int = 200  # how far after a keyword's end a match may end
    # What the secret must look like: "random" (letters and digits, entropy >= min_entropy),
    # "entropy" (entropy >= min_entropy), "password" (not a placeholder, not a port: URL
    # passwords may be short), "keyed-password" (what a value assigned to a password name
    # must be, see core.secrets), or "" (the regex says it all).
    check: str = "random"
    min_entropy: float = 3.0
    mixed_case: bool = False  # the secret must have upper- and lower-case letters
    # Anchorless rules: a cheap regular expression with a literal first character that finds
    # candidates over the whole text (run on bytes for ASCII text).
    prefilter: str = ""
    # Also recognised base64-encoded (a blob that decodes to this token).
    base64: bool = False
    # A literal that must be between a keyword and ``span`` after it for the regex to be
    # tried (a cheap test for rules whose keyword is frequent, such as "://").
    requires: str = ""


# --------------------------------------------------------------------------- example values

B62 = string.ascii_letters + string.digits
B64URL = B62 + "-_"
B64 = B62 + "+/"
HEXL = "0123456789abcdef"
UPPER36 = string.ascii_uppercase + string.digits
LOWER36 = string.ascii_lowercase + string.digits


def fake(alphabet: str, n: int, seed: str) -> str:
    """``n`` random-looking characters of ``alphabet``, the same every run (seeded by
    ``seed``), with a digit and both cases where the alphabet has them."""
    rng = random.Random(seed)
    classes = [c for c in (string.ascii_lowercase, string.ascii_uppercase, string.digits)]
    need = [set(c) & set(alphabet) for c in classes]
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        if all(not cls or set(s) & cls for cls in need):
            return s


def _ex(line: str, secret: str) -> Example:
    assert secret in line, (line, secret)
    return Example(line, secret)


def _in(template: str, secret: str) -> Example:
    """``template`` with its ``§`` replaced by ``secret``."""
    return Example(template.replace("§", secret), secret)


def _arg(secret: str, call: str = "client.connect") -> Example:
    """The secret passed as a plain string argument."""
    return _ex(f'{call}("{secret}")', secret)


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def _b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_AWS_ID = "AKIA" + fake(string.ascii_uppercase + "234567", 16, "aws-id")
_AWS_SECRET = fake(B64, 40, "aws-secret")
_DISCORD = (
    _b64url(b"1129384756102938475")  # a snowflake id
    + "."
    + fake(B64URL, 6, "discord-ts")
    + "."
    + fake(B64URL, 38, "discord-hmac")
)
_JWT = (
    _b64url(b'{"alg":"HS256","typ":"JWT"}')
    + "."
    + _b64url(b'{"sub":"4821096","name":"Ana","iat":1716239022}')
    + "."
    + fake(B64URL, 43, "jwt-sig")
)
_STRIPE = "sk_" + "live_" + fake(B62, 24, "stripe")
_SA_KEY_ID = fake(HEXL, 40, "gcp-sa-key-id")


# --------------------------------------------------------------------------- rules

RULES: tuple[Rule, ...] = (
    Rule(
        id="private-key",
        description="PEM, OpenSSH, PGP and PKCS#8 private-key blocks (with or without END)",
        keywords=("PRIVATE KEY", "SECRET KEY"),
        handler="pem",
        examples=(
            _ex(
                "-----BEGIN RSA PRIVATE KEY-----\n"
                + "\n".join(fake(B64, 64, f"pem{i}") for i in range(3))
                + "\n-----END RSA PRIVATE KEY-----",
                fake(B64, 64, "pem1"),
            ),
            _ex(
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA"
                + fake(B64, 40, "ossh")
                + "\n-----END OPENSSH PRIVATE KEY-----",
                fake(B64, 40, "ossh"),
            ),
            _ex(
                "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF"
                + fake(B64, 58, "pgp")
                + "\n=Ab12\n-----END PGP PRIVATE KEY BLOCK-----",
                fake(B64, 58, "pgp"),
            ),
        ),
    ),
    Rule(
        id="putty-private-key",
        description="The private lines and MAC of a PuTTY .ppk key",
        keywords=("Private-Lines:",),
        handler="putty",
        examples=(
            _ex(
                "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\n"
                "Public-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAI"
                + fake(B64, 40, "ppk-pub")
                + "\nPrivate-Lines: 1\nAAAAI"
                + fake(B64, 40, "ppk-priv")
                + "\nPrivate-MAC: "
                + fake(HEXL, 64, "ppk-mac"),
                fake(B64, 40, "ppk-priv"),
            ),
        ),
    ),
    Rule(
        id="aws-access-key",
        description="AWS access key ids (AKIA, ASIA, ABIA, ACCA), and a 40-character secret "
        "access key on the same line",
        keywords=("AKIA", "ASIA", "ABIA", "ACCA"),
        regex=r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9_-])",
        handler="aws-pair",
        span=16,
        check="",
        base64=True,
        examples=(
            _ex(f'boto3.client("s3", aws_access_key_id="{_AWS_ID}")', _AWS_ID),
            _ex(f'session = boto3.Session("{_AWS_ID}", "{_AWS_SECRET}")', _AWS_SECRET),
        ),
    ),
    Rule(
        id="gcp-service-account",
        description="The private_key_id of a Google service-account JSON key (its "
        "private_key is a private-key block)",
        keywords=("private_key_id",),
        regex=r"""["']?private_key_id["']?\s*[:=]\s*["'](?P<secret>[0-9a-f]{40})["']""",
        span=60,
        check="",
        examples=(_ex(f'  "private_key_id": "{_SA_KEY_ID}",', _SA_KEY_ID),),
    ),
    Rule(
        id="google-api-key",
        description="Google API keys (AIza...)",
        keywords=("AIza",),
        regex=r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])",
        span=35,
        check="",
        base64=True,
        examples=(_arg("AIza" + fake(B64URL, 35, "gcp"), "maps.load"),),
    ),
    Rule(
        id="google-oauth",
        description="Google OAuth client secrets (GOCSPX-) and access tokens (ya29.)",
        keywords=("GOCSPX-", "ya29."),
        regex=r"(?<![A-Za-z0-9_-])(?:GOCSPX-[A-Za-z0-9_-]{28}|ya29\.[A-Za-z0-9_-]{30,})",
        span=400,
        examples=(
            _in('client_secret="§"', "GOCSPX-" + fake(B64URL, 28, "gocspx")),
            _arg("ya29." + fake(B64URL, 60, "ya29"), "creds.refresh"),
        ),
    ),
    Rule(
        id="azure-storage-key",
        description="Azure storage account keys in connection strings (AccountKey=)",
        keywords=("AccountKey=",),
        regex=r"(?i:AccountKey)=(?P<secret>[A-Za-z0-9+/]{86}==)",
        span=90,
        examples=(
            _ex(
                "DefaultEndpointsProtocol=https;AccountName=prodlogs;AccountKey="
                + fake(B64, 86, "azure-sa")
                + "==;EndpointSuffix=core.windows.net",
                fake(B64, 86, "azure-sa"),
            ),
        ),
    ),
    Rule(
        id="azure-ad-client-secret",
        description="Azure AD (Entra ID) application client secrets (xxx8Q~...)",
        keywords=("Q~",),
        regex=r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])",
        back=4,
        span=34,
        examples=(_arg("Xk7" + "8Q~" + fake(B62, 34, "azure-ad"), "ClientSecretCredential"),),
    ),
    Rule(
        id="github-token",
        description="GitHub tokens of every kind: ghp_ gho_ ghu_ ghs_ ghr_ and github_pat_",
        keywords=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        regex=r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{50,255})"
        r"(?![A-Za-z0-9_])",
        span=255,
        base64=True,
        examples=(
            *(_arg(f"gh{k}_" + fake(B62, 36, "gh" + k), "Github") for k in "pousr"),
            _arg("github_pat_" + fake(B62, 22, "ghpat1") + "_" + fake(B62, 59, "ghpat2"), "Github"),
        ),
    ),
    Rule(
        id="gitlab-token",
        description="GitLab tokens: personal/project/group (glpat-), deploy (gldt-), runner "
        "(glrt-, GR1348941), pipeline trigger (glptt-), OAuth (gloas-), CI job (glcbt-), "
        "feed (glft-), agent (glagent-), SCIM (glsoat-), incoming mail (glimt-)",
        keywords=(
            "glpat-",
            "gldt-",
            "glrt-",
            "glptt-",
            "gloas-",
            "glcbt-",
            "glft-",
            "glagent-",
            "glsoat-",
            "glimt-",
            "GR1348941",
        ),
        regex=r"(?<![A-Za-z0-9_-])(?:gl(?:pat|dt|rt|ptt|oas|cbt|ft|agent|soat|imt)-[A-Za-z0-9_.-]{20,}"
        r"|GR1348941[A-Za-z0-9_-]{20,})",
        span=100,
        base64=True,
        examples=(
            _in('GITLAB_TOKEN: "§"', "glpat-" + fake(B64URL, 20, "glpat")),
            _arg("gldt-" + fake(B64URL, 20, "gldt"), "gitlab.Gitlab"),
            _arg("glrt-" + fake(B64URL, 20, "glrt"), "register_runner"),
        ),
    ),
    Rule(
        id="slack-token",
        description="Slack bot, user, app, configuration and legacy tokens (xox?-, xapp-)",
        keywords=("xox", "xapp-"),
        regex=r"(?<![A-Za-z0-9_-])(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10,}",
        span=250,
        base64=True,
        examples=(
            _arg(
                "xoxb-"
                + fake("0123456789", 11, "sl1")
                + "-"
                + fake("0123456789", 13, "sl2")
                + "-"
                + fake(B62, 24, "sl3"),
                "WebClient",
            ),
            _arg("xapp-1-A" + fake(UPPER36, 10, "xapp1") + "-" + fake(B62, 40, "xapp2")),
        ),
    ),
    Rule(
        id="slack-webhook",
        description="Slack incoming-webhook and workflow URLs",
        keywords=("hooks.slack.com/",),
        regex=r"hooks\.slack\.com/(?P<secret>(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{8,})",
        span=200,
        check="",
        examples=(
            _in(
                'requests.post("https://hooks.slack.com/§")',
                "services/T"
                + fake(UPPER36, 8, "shk1")
                + "/B"
                + fake(UPPER36, 10, "shk2")
                + "/"
                + fake(B62, 24, "shk3"),
            ),
        ),
    ),
    Rule(
        id="stripe-key",
        description="Stripe secret and restricted keys, live and test (sk_/rk_), and webhook "
        "signing secrets (whsec_)",
        keywords=("sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"),
        regex=r"(?<![A-Za-z0-9_])(?:[sr]k_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9+/=]{32,})",
        span=250,
        min_entropy=2.5,
        base64=True,
        examples=(
            _arg(_STRIPE, "stripe.StripeClient"),
            _arg("rk_" + "test_" + fake(B62, 24, "rk"), "stripe.StripeClient"),
            _in("STRIPE_WEBHOOK = '§'", "whsec_" + fake(B62, 32, "whsec")),
        ),
    ),
    Rule(
        id="sendgrid-key",
        description="SendGrid API keys (SG.xxx.yyy)",
        keywords=("SG.",),
        regex=r"(?<![A-Za-z0-9_-])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])",
        span=66,
        base64=True,
        examples=(
            _arg(
                "SG." + fake(B64URL, 22, "sg1") + "." + fake(B64URL, 43, "sg2"),
                "SendGridAPIClient",
            ),
        ),
    ),
    Rule(
        id="twilio-key",
        description="Twilio API key SIDs (SK + 32 hex) and auth tokens, assigned to a Twilio name",
        keywords=("twilio", "Twilio", "TWILIO"),
        regex=r"(?i:twilio)[\w.-]{0,30}[\"']?\s*[:=]\s*[\"']?(?P<secret>SK[0-9a-f]{32}|[0-9a-f]{32})"
        r"(?![A-Za-z0-9_])",
        span=80,
        min_entropy=3.0,
        examples=(_in("TWILIO_API_KEY=§", "SK" + fake(HEXL, 32, "twilio")),),
    ),
    Rule(
        id="mailgun-key",
        description="Mailgun API keys (key-...)",
        keywords=("key-",),
        regex=r"(?<![A-Za-z0-9_-])key-[0-9a-f]{32}(?![A-Za-z0-9_])",
        span=32,
        examples=(_arg("key-" + fake(HEXL, 32, "mailgun"), "Mailgun"),),
    ),
    Rule(
        id="mailchimp-key",
        description="Mailchimp API keys (32 hex, -us and a data-center number)",
        keywords=("-us",),
        regex=r"(?<![A-Za-z0-9_])[0-9a-f]{32}-us\d{1,2}(?![A-Za-z0-9_])",
        back=32,
        span=2,
        examples=(_arg(fake(HEXL, 32, "mailchimp") + "-us14", "MailchimpMarketing.Client"),),
    ),
    Rule(
        id="shopify-token",
        description="Shopify access, custom-app, private-app and shared-secret tokens",
        keywords=("shpat_", "shpss_", "shpca_", "shppa_"),
        regex=r"(?<![A-Za-z0-9_])shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}(?![A-Za-z0-9_])",
        span=32,
        examples=(
            _arg("shpat_" + fake(HEXL, 32, "shpat"), "shopify.Session"),
            _arg("shpss_" + fake(HEXL, 32, "shpss"), "shopify.Session"),
        ),
    ),
    Rule(
        id="discord-bot-token",
        description="Discord bot tokens (base64 id . timestamp . HMAC), found by their shape "
        "in a file that mentions Discord or a bot library's run/login call",
        # Python (discord.py and forks), JS (discord.js), Rust (serenity, twilight), Go
        keywords=(
            "discord",
            "Discord",
            "DISCORD",
            "serenity",
            "twilight_",
            "Client::builder",
            "bot.run(",
            "client.run(",
            ".login(",
        ),
        handler="shape",
        prefilter=r"\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27}",
        regex=r"(?<![A-Za-z0-9_.-])[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}"
        r"(?![A-Za-z0-9_.-])",
        back=28,
        span=40,
        examples=(
            _in("import discord\nbot.run('§')", _DISCORD),
            _in("const { Client } = require('discord.js');\nclient.login(\"§\");", _DISCORD),
        ),
    ),
    Rule(
        id="discord-webhook",
        description="Discord webhook URLs",
        keywords=("/api/webhooks/",),
        regex=r"discord(?:app)?\.com/api/webhooks/(?P<secret>\d{17,20}/[A-Za-z0-9_-]{60,70})",
        back=15,
        span=100,
        examples=(
            _in(
                'requests.post("https://discord.com/api/webhooks/§")',
                "1129384756102938475/" + fake(B64URL, 68, "dhook"),
            ),
        ),
    ),
    Rule(
        id="telegram-bot-token",
        description="Telegram bot tokens (bot id:AA...), found by their shape",
        keywords=(":AA",),
        regex=r"(?<![0-9])\d{8,10}:AA[A-Za-z0-9_-]{33}(?![A-Za-z0-9_-])",
        back=10,
        span=33,
        examples=(
            _arg("6120394857:AA" + fake(B64URL, 33, "tg"), "Bot"),
            _in("https://api.telegram.org/bot§/getMe", "7012345678:AA" + fake(B64URL, 33, "tg2")),
        ),
    ),
    Rule(
        id="huggingface-token",
        description="Hugging Face user and organisation tokens (hf_, api_org_)",
        keywords=("hf_", "api_org_"),
        regex=r"(?<![A-Za-z0-9_])(?:hf_[A-Za-z0-9]{34}|api_org_[A-Za-z0-9]{34})(?![A-Za-z0-9_])",
        span=34,
        check="entropy",
        min_entropy=3.5,
        mixed_case=True,
        examples=(_arg("hf_" + fake(string.ascii_letters, 34, "hf"), "login"),),
    ),
    Rule(
        id="openai-key",
        description="OpenAI keys: sk- with 20+ random characters, and project, service-account "
        "and admin keys (sk-proj-, sk-svcacct-, sk-admin-)",
        keywords=("sk-",),
        regex=r"(?<![A-Za-z0-9_-])sk-(?!ant-)(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,}+",
        span=250,
        mixed_case=True,
        base64=True,
        examples=(
            _arg("sk-" + fake(B62, 48, "openai"), "OpenAI"),
            _arg(
                "sk-proj-" + fake(B64URL, 74, "oai1") + "T3BlbkFJ" + fake(B64URL, 74, "oai2"),
                "OpenAI",
            ),
        ),
    ),
    Rule(
        id="anthropic-key",
        description="Anthropic API and admin keys (sk-ant-)",
        keywords=("sk-ant-",),
        regex=r"(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,}",
        span=250,
        base64=True,
        examples=(_arg("sk-ant-api03-" + fake(B64URL, 93, "ant") + "AA", "Anthropic"),),
    ),
    Rule(
        id="npm-token",
        description="npm access tokens (npm_)",
        keywords=("npm_",),
        regex=r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])",
        span=36,
        min_entropy=2.5,
        examples=(_in("//registry.npmjs.org/:_authToken=§", "npm_" + fake(B62, 36, "npm")),),
    ),
    Rule(
        id="pypi-token",
        description="PyPI upload tokens (pypi-AgE...)",
        keywords=("pypi-AgE",),
        regex=r"(?<![A-Za-z0-9_])pypi-AgE[A-Za-z0-9_-]{50,}",
        span=300,
        min_entropy=2.5,
        examples=(_arg("pypi-AgEIcHlwaS5vcmc" + fake(B64URL, 70, "pypi"), "upload"),),
    ),
    Rule(
        id="docker-hub-token",
        description="Docker Hub personal access tokens (dckr_pat_)",
        keywords=("dckr_pat_",),
        regex=r"(?<![A-Za-z0-9_])dckr_pat_[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])",
        span=27,
        examples=(_in("docker login -u ci -p §", "dckr_pat_" + fake(B64URL, 27, "dckr")),),
    ),
    Rule(
        id="digitalocean-token",
        description="DigitalOcean personal, OAuth and refresh tokens (dop_v1_, doo_v1_, dor_v1_)",
        keywords=("_v1_",),
        regex=r"(?<![A-Za-z0-9_])do[por]_v1_[a-f0-9]{64}(?![A-Za-z0-9_])",
        back=3,
        span=64,
        examples=(_arg("dop_v1_" + fake(HEXL, 64, "do"), "digitalocean.Manager"),),
    ),
    Rule(
        id="heroku-key",
        description="Heroku API keys: HRKU- tokens, and UUIDs assigned to a Heroku key name",
        keywords=("HRKU-", "heroku", "Heroku", "HEROKU"),
        regex=r"(?<![A-Za-z0-9_-])HRKU-AA[A-Za-z0-9_-]{58}"
        r"|(?i:heroku)[\w.-]{0,20}(?i:key|token)[\w\"']{0,3}\s*[:=]\s*[\"']?"
        r"(?P<secret>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
        span=80,
        check="",
        examples=(
            _arg("HRKU-AA" + fake(B64URL, 58, "hrku"), "heroku3.from_key"),
            _in("HEROKU_API_KEY=§", "0f8b2c4e-91a7-4d3b-8e6f-2a5c9d1b7e40"),
        ),
    ),
    Rule(
        id="datadog-key",
        description="Datadog API and application keys assigned to a Datadog name",
        keywords=(
            "datadog",
            "Datadog",
            "DataDog",
            "DATADOG",
            "dd_api",
            "DD_API",
            "dd_app",
            "DD_APP",
        ),
        regex=r"(?i:datadog|dd)[\w.-]{0,20}(?i:api|app)[\w.-]{0,12}(?i:key)[\w\"']{0,3}\s*[:=]\s*"
        r"[\"']?(?P<secret>[a-f0-9]{32}|[a-f0-9]{40})(?![a-f0-9])",
        back=10,
        span=100,
        examples=(_ex(f"DD_API_KEY={fake(HEXL, 32, 'dd')}", fake(HEXL, 32, "dd")),),
    ),
    Rule(
        id="new-relic-key",
        description="New Relic user API keys (NRAK-), insert keys (NRII-), browser keys "
        "(NRJS-) and license keys (...NRAL)",
        keywords=("NRAK-", "NRII-", "NRJS-", "NRAL"),
        regex=r"(?<![A-Za-z0-9_])(?:NRAK-[A-Z0-9]{27}|NRII-[A-Za-z0-9_-]{32}|NRJS-[a-f0-9]{19})"
        r"|(?<![A-Za-z0-9_])[a-f0-9]{36}NRAL(?![A-Za-z0-9_])",
        back=36,
        span=32,
        examples=(
            _arg("NRAK-" + fake(UPPER36, 27, "nrak"), "NerdGraph"),
            _in("license_key: §", fake(HEXL, 36, "nral") + "NRAL"),
        ),
    ),
    Rule(
        id="sentry-token",
        description="Sentry DSN keys and auth tokens (sntrys_, sntryu_)",
        keywords=("sentry", "Sentry", "SENTRY", "sntrys_", "sntryu_"),
        regex=r"(?<![A-Za-z0-9_])(?:sntrys_eyJ[A-Za-z0-9_=+/.-]{60,}|sntryu_[a-f0-9]{64})"
        r"|https?://(?P<secret>[0-9a-f]{32})(?::[0-9a-f]{32})?@[\w.-]*sentry[\w.-]*",
        back=80,
        span=300,
        check="",
        examples=(
            _ex(
                f'sentry_sdk.init(dsn="https://{fake(HEXL, 32, "sentry")}@o4504.ingest.sentry.io/4507")',
                fake(HEXL, 32, "sentry"),
            ),
            _arg("sntryu_" + fake(HEXL, 64, "sntryu"), "SentryClient"),
        ),
    ),
    Rule(
        id="square-token",
        description="Square access tokens and OAuth secrets (sq0atp-, sq0csp-, EAAA)",
        keywords=("sq0atp-", "sq0csp-", "EAAA"),
        regex=r"(?<![A-Za-z0-9_-])(?:sq0atp-[A-Za-z0-9_-]{22}|sq0csp-[A-Za-z0-9_-]{43}"
        r"|EAAA[A-Za-z0-9_+=-]{60})(?![A-Za-z0-9_-])",
        span=64,
        examples=(_arg("EAAA" + fake(B64URL, 60, "square"), "Client"),),
    ),
    Rule(
        id="braintree-token",
        description="PayPal Braintree production and sandbox access tokens",
        keywords=("access_token$",),
        regex=r"access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}",
        span=70,
        examples=(
            _arg(
                "access_token$production$" + fake(LOWER36, 16, "bt1") + "$" + fake(HEXL, 32, "bt2"),
                "braintree.BraintreeGateway",
            ),
        ),
    ),
    Rule(
        id="atlassian-token",
        description="Atlassian API tokens (ATATT3)",
        keywords=("ATATT3",),
        regex=r"(?<![A-Za-z0-9_-])ATATT3[A-Za-z0-9_=-]{180,200}",
        span=200,
        examples=(_arg("ATATT3xFfGF0" + fake(B64URL, 180, "atlassian"), "Jira"),),
    ),
    Rule(
        id="linear-key",
        description="Linear API keys (lin_api_)",
        keywords=("lin_api_",),
        regex=r"(?<![A-Za-z0-9_])lin_api_[A-Za-z0-9]{40}(?![A-Za-z0-9_])",
        span=40,
        examples=(_arg("lin_api_" + fake(B62, 40, "linear"), "LinearClient"),),
    ),
    Rule(
        id="notion-token",
        description="Notion integration tokens (ntn_, and the older secret_)",
        # not "secret_" alone: frequent in code
        keywords=("ntn_", "notion", "Notion", "NOTION"),
        regex=r"(?<![A-Za-z0-9_])(?:ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})"
        r"(?![A-Za-z0-9_])",
        span=80,
        mixed_case=True,
        examples=(
            _arg("ntn_" + fake("0123456789", 11, "ntn1") + fake(B62, 35, "ntn2"), "Client"),
            _in("NOTION_TOKEN=§", "secret_" + fake(B62, 43, "notion")),
        ),
    ),
    Rule(
        id="postman-key",
        description="Postman API keys (PMAK-)",
        keywords=("PMAK-",),
        regex=r"(?<![A-Za-z0-9_-])PMAK-[a-f0-9]{24}-[a-f0-9]{34}(?![A-Za-z0-9_-])",
        span=60,
        examples=(_arg("PMAK-" + fake(HEXL, 24, "pm1") + "-" + fake(HEXL, 34, "pm2"), "get"),),
    ),
    Rule(
        id="doppler-token",
        description="Doppler personal, service, service-account, CLI and SCIM tokens",
        keywords=("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim."),
        regex=r"(?<![A-Za-z0-9_])dp\.(?:pt|st|sa|ct|scim)\.[A-Za-z0-9._-]{40,}",
        span=120,
        examples=(_arg("dp.st.prd." + fake(B62, 43, "doppler"), "DopplerSDK"),),
    ),
    Rule(
        id="vault-token",
        description="HashiCorp Vault service and batch tokens (hvs., hvb.)",
        keywords=("hvs.", "hvb."),
        regex=r"(?<![A-Za-z0-9_])hv[sb]\.[A-Za-z0-9_-]{24,}",
        span=300,
        examples=(_in("VAULT_TOKEN=§", "hvs." + fake(B64URL, 92, "vault")),),
    ),
    Rule(
        id="grafana-token",
        description="Grafana cloud and service-account tokens (glc_, glsa_)",
        keywords=("glc_", "glsa_"),
        regex=r"(?<![A-Za-z0-9_])(?:glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[a-f0-9]{8})",
        span=400,
        examples=(_arg("glsa_" + fake(B62, 32, "glsa") + "_" + fake(HEXL, 8, "glsa2"), "Api"),),
    ),
    Rule(
        id="databricks-token",
        description="Databricks personal access tokens (dapi + 32 hex)",
        keywords=("dapi",),
        regex=r"(?<![A-Za-z0-9_])dapi[a-f0-9]{32}(?:-\d)?(?![A-Za-z0-9_])",
        span=34,
        examples=(_arg("dapi" + fake(HEXL, 32, "dapi"), "WorkspaceClient"),),
    ),
    Rule(
        id="planetscale-token",
        description="PlanetScale passwords and tokens (pscale_pw_, pscale_tkn_, pscale_oauth_)",
        keywords=("pscale_",),
        regex=r"(?<![A-Za-z0-9_])pscale_(?:pw|tkn|oauth)_[A-Za-z0-9_.=-]{32,64}",
        span=72,
        examples=(_arg("pscale_pw_" + fake(B64URL, 43, "pscale"), "connect"),),
    ),
    Rule(
        id="brevo-key",
        description="Brevo (Sendinblue) API keys (xkeysib-)",
        keywords=("xkeysib-",),
        regex=r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}",
        span=82,
        examples=(_arg("xkeysib-" + fake(HEXL, 64, "brevo1") + "-" + fake(B62, 16, "brevo2")),),
    ),
    Rule(
        id="alibaba-key",
        description="Alibaba Cloud AccessKey ids (LTAI)",
        keywords=("LTAI",),
        regex=r"(?<![A-Za-z0-9_])LTAI[A-Za-z0-9]{20}(?![A-Za-z0-9_])",
        span=20,
        examples=(_arg("LTAI" + fake(B62, 20, "ali"), "AcsClient"),),
    ),
    Rule(
        id="mapbox-token",
        description="Mapbox secret tokens (sk.eyJ...)",
        keywords=("sk.eyJ",),
        regex=r"(?<![A-Za-z0-9_])sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}",
        span=300,
        examples=(
            _arg("sk." + _b64url(b'{"u":"cartoteam","a":"ckx91"}') + "." + fake(B64URL, 22, "mb")),
        ),
    ),
    Rule(
        id="terraform-cloud-token",
        description="Terraform Cloud / Enterprise API tokens (...atlasv1...)",
        keywords=(".atlasv1.",),
        regex=r"(?<![A-Za-z0-9_])[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}",
        back=14,
        span=70,
        examples=(
            _in('token = "§"', fake(B62, 14, "tfc1") + ".atlasv1." + fake(B64URL, 67, "tfc2")),
        ),
    ),
    Rule(
        id="age-secret-key",
        description="age encryption secret keys (AGE-SECRET-KEY-1...)",
        keywords=("AGE-SECRET-KEY-1",),
        regex=r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        span=58,
        examples=(
            _in("§", "AGE-SECRET-KEY-1" + fake("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58, "age")),
        ),
    ),
    Rule(
        id="jwt",
        description="JSON Web Tokens (eyJ header . payload . signature)",
        keywords=("eyJ",),
        regex=r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){1,3}",
        span=8000,
        check="",
        examples=(_ex(f"headers['X-Auth'] = '{_JWT}'", _JWT),),
    ),
    Rule(
        id="netrc-password",
        description="The password of a netrc entry (machine HOST login USER password PW)",
        keywords=("machine",),
        regex=r"machine[ \t]+\S+\s+login[ \t]+\S+\s+password[ \t]+(?P<secret>[^\s'\"\\]+)",
        span=400,
        requires="login",
        check="keyed-password",
        examples=(
            _ex(
                f'RUN echo "machine github.com login ci password {fake(B62, 20, "netrc")}" > ~/.netrc',
                fake(B62, 20, "netrc"),
            ),
        ),
    ),
    Rule(
        id="terraform-variable",
        description="The default of a Terraform variable whose name says password, secret, "
        "token or key",
        keywords=('variable "',),
        regex=r"variable\s+\"[\w-]*(?i:password|passwd|secret|token|api_?key)[\w-]*\"\s*\{"
        r"[^}]{0,400}?\bdefault\s*=\s*\"(?P<secret>[^\"\r\n]+)\"",
        span=500,
        check="keyed-password",
        examples=(
            _ex(
                'variable "db_password" {\n  type      = string\n  sensitive = true\n'
                f'  default   = "{fake(B62, 18, "tfvar")}"\n}}',
                fake(B62, 18, "tfvar"),
            ),
        ),
    ),
    Rule(
        id="cli-password",
        description="A password on a command line: sshpass -p, mysql -pPW, docker login -p, "
        "redis-cli -a",
        keywords=("sshpass", "mysql", "mariadb", "redis-cli", "docker login", "podman login"),
        regex=r"(?:(?:mysql(?:dump|admin)?|mariadb(?:-dump)?)\b[^\r\n|;&]{0,200}?[ \t]-p"
        r"|(?:sshpass|redis-cli|(?:docker|podman)[ \t]+login)\b[^\r\n|;&]{0,200}?[ \t]-[pa][ \t]*)"
        r"(?P<q>['\"]?)(?P<secret>[^\s'\"]+)(?P=q)",
        span=300,
        requires=" -",
        check="keyed-password",
        examples=(
            _in("sshpass -p '§' ssh deploy@web1 uptime", "Ssh-Deploy-Pass9"),
            _in("mysql -h db -u root -p'§' -e 'select 1'", "Mysql-R00t-Pass"),
            _in("redis-cli -h cache -a § ping", "R3dis-Cli-Pass"),
        ),
    ),
    Rule(
        id="curl-user-password",
        description="The password of curl -u user:password",
        keywords=("curl ",),
        regex=r"curl\b[^\r\n|;&]{0,300}?[ \t](?:-u|--user)[ \t]+(?P<q>['\"]?)[^\s:'\"]+:"
        r"(?P<secret>[^\s'\"]+)(?P=q)",
        span=400,
        requires=" -",
        check="keyed-password",
        examples=(
            _in("curl -u admin:§ https://jenkins.internal/job/deploy/build", "Curl-Adm1n-Pass"),
        ),
    ),
    Rule(
        id="php-define",
        description="A PHP constant whose name says key, salt, password, secret or token "
        "(WordPress keys and salts)",
        keywords=("define(",),
        regex=r"define\(\s*['\"]\w*(?:KEY|SALT|PASSWORD|PASS|SECRET|TOKEN)\w*['\"]\s*,\s*"
        r"(?P<q>['\"])(?P<secret>[^'\"\r\n]{8,})(?P=q)",
        span=300,
        check="keyed-password",
        examples=(_in("define('SECURE_AUTH_KEY', '§');", "x9$Lk#2pQ!vR7mZ@cT4wE8yU1iO3aS6d"),),
    ),
    Rule(
        id="kubernetes-secret",
        description="Every value under data: or stringData: of a Kubernetes Secret manifest",
        keywords=("kind: Secret", '"kind": "Secret"'),
        handler="k8s",
        examples=(
            _ex(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: stripe\ntype: Opaque\ndata:\n"
                f"  live: {_b64(fake(B62, 24, 'k8s').encode())}\n",
                _b64(fake(B62, 24, "k8s").encode()),
            ),
        ),
    ),
    Rule(
        id="aws-secret-key",
        description="A 40-character AWS secret access key assigned to a secret-looking name",
        keywords=(),
        handler="assign",
        examples=(_ex(f"aws_secret_access_key = {_AWS_SECRET}", _AWS_SECRET),),
    ),
    Rule(
        id="connection-string",
        description="The password of a URL with credentials (postgres, mysql, mongodb+srv, "
        "redis, amqp, https basic auth ...), up to its last @",
        keywords=("://",),
        regex=r"://(?P<user>[^\s:@/'\"`<>]{0,128}):(?P<secret>[^\s'\"`<>]{1,256})@(?=[\w\[.-])",
        span=400,
        requires="@",
        check="password",
        examples=(
            _in('DATABASE_URL = "postgres://app:§@db.internal:5432/app"', fake(B62, 16, "pg")),
            _in("mongodb+srv://svc:§@cluster0.ab1cd.mongodb.net/", fake(B62, 16, "mongo")),
            _ex(
                f"REDIS_URL=redis://:{fake(B62, 16, 'redis')}@cache:6379/0", fake(B62, 16, "redis")
            ),
            _ex(f"broker = 'amqp://guest:{fake(B62, 16, 'amqp')}@mq//'", fake(B62, 16, "amqp")),
        ),
    ),
    Rule(
        id="base64-secret",
        description="A base64 blob that decodes to a token one of the rules above recognises",
        keywords=(),  # the base64 form of each base64=True rule's keywords, see secret_scan
        handler="base64",
        examples=(_ex(f"  stripe: {_b64(_STRIPE.encode())}", _b64(_STRIPE.encode())),),
    ),
    Rule(
        id="password-assignment",
        description="A value assigned to a name that says password, in any language listed "
        "in PASSWORD_WORDS and the usual syntaxes",
        keywords=(),  # KEYWORD_STEMS
        handler="assign",
        examples=(
            _ex('password = "Tr0ub4dor&3xQ"', "Tr0ub4dor&3xQ"),
            _ex('contraseña = "Güemes-1987-xk"', "Güemes-1987-xk"),
            _ex("mot_de_passe: Ratatouille42!", "Ratatouille42!"),
            _ex('$passwort = "Kuckuck#2019"', "Kuckuck#2019"),
            _ex('  "密码": "hu4Ng-Sh4n9"', "hu4Ng-Sh4n9"),
            _ex("パスワード = 'sakura-7731'", "sakura-7731"),
            _ex('비밀번호 = "Seoul2024!x"', "Seoul2024!x"),
            _ex('пароль = "Zvezda_1961"', "Zvezda_1961"),
            _ex("mysql --password=Hq7-vLx2p9 -u root", "Hq7-vLx2p9"),
        ),
    ),
    Rule(
        id="generic-secret-assignment",
        description="A random-looking value assigned to a name that says secret, token, "
        "credential or (api/access/private/...) key",
        keywords=(),  # KEYWORD_STEMS
        handler="assign",
        examples=(
            _ex(f'API_KEY = "{fake(B62, 32, "generic")}"', fake(B62, 32, "generic")),
            _ex(f"export AUTH_TOKEN={fake(B62, 32, 'authtok')}", fake(B62, 32, "authtok")),
            _ex(
                f'<add key="ClientSecret" value="{fake(B62, 32, "xml")}" />',
                fake(B62, 32, "xml"),
            ),
        ),
    ),
)

# Keyword anchors of the "assign" rules: a secret-looking name contains one of these
# (lower-case, matched case-insensitively). They run in an automaton of their own, as they
# are frequent in code.
KEYWORD_STEMS: tuple[str, ...] = (
    "pass",  # password, passwd, passphrase, passwort (de), mot_de_passe (fr), palavra-passe (pt)
    "pwd",
    "secret",  # secret, secreto (es, pt)
    "token",
    "key",  # only right after one of KEY_QUALIFIERS (api_key, privateKey), checked at the hit
    "auth",
    "cred",
    "contrase",  # contraseña, contrasena (es)
    "senha",  # pt
    "wachtwoord",  # nl
    "kennwort",  # de
    "clave",  # es
    "geheim",  # de, nl
    "segreto",  # it
    "jeton",  # fr
    "chave",  # pt
    "chiave",  # it
    "sleutel",  # nl
)
# Found only in text that is not ASCII (in a lower-cased copy).
NON_ASCII_STEMS: tuple[str, ...] = (
    "пароль",  # ru
    "ключ",  # ru
    "токен",  # ru
    "секрет",  # ru
    "密码",  # zh
    "密碼",  # zh-Hant
    "口令",  # zh
    "密钥",  # zh
    "秘钥",  # zh
    "令牌",  # zh
    "秘密",  # zh, ja
    "パスワード",  # ja
    "暗証",  # ja
    "シークレット",  # ja
    "トークン",  # ja
    "비밀번호",  # ko
    "암호",  # ko
    "비밀",  # ko
    "토큰",  # ko
    "clé",  # fr
    "schlüssel",  # de
)

# Words of a name that make its value a password (lower-case; matched in the name with its
# separators removed) ...
PASSWORD_WORDS: tuple[str, ...] = (
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "passwort",
    "kennwort",
    "motdepasse",
    "contraseña",
    "contrasena",
    "contrasenia",
    "senha",
    "palavrapasse",
    "wachtwoord",
    "пароль",
    "密码",
    "密碼",
    "口令",
    "パスワード",
    "暗証",
    "비밀번호",
    "암호",
)
# ... or a secret (a stricter value check applies).
SECRET_WORDS: tuple[str, ...] = (
    "secret",
    "token",
    "credential",
    "clave",
    "geheim",
    "segreto",
    "jeton",
    "chave",
    "chiave",
    "sleutel",
    "ключ",
    "токен",
    "секрет",
    "密钥",
    "秘钥",
    "令牌",
    "秘密",
    "シークレット",
    "トークン",
    "비밀",
    "토큰",
    "clé",
    "schlüssel",
)
# "key" makes a name secret only after one of these (api_key, privateKey, ...).
KEY_QUALIFIERS: tuple[str, ...] = (
    "api",
    "access",
    "private",
    "priv",
    "signing",
    "encryption",
    "master",
    "license",
    "licence",
    "consumer",
    "account",
    "storage",
    "subscription",
    "app",
    "auth",
    "client",
    "hmac",
    "shared",
    "session",
    "webhook",
    "crypt",
    "cipher",
)
