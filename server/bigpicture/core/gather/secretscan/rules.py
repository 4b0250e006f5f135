"""The secret-scan rules, as data: one entry per provider or secret kind (``RULES``: the
provider tokens of ``rules_infra`` and ``rules_saas``, then the structural and
keyed rules defined here), and the words that make a name secret in many languages.

Each ``Rule`` names the literal keywords that anchor it (the prefilter in
``engine`` finds all of them in one pass per automaton and runs a rule's regular
expression only in a window around its keywords' hits), the regular expression itself, what
its value must look like, and at least one example: a line of code holding a value that looks
real but is not a live secret (generated here from a fixed seed; tokens with a checksum get a
wrong one). ``tests/core/gather/secretscan/test_rules.py`` checks that every example is found
and redacted, in a source line, in a diff line, and in Latin-1 and UTF-16 files through the
gather.

Rules whose ``handler`` is not ``"regex"`` are driven by code in the engine (private-key
blocks, assignments to secret-looking names, base64 that decodes to a token, Kubernetes
Secret manifests); their entry still names their keywords and examples.

Keywords are matched exactly as written (token prefixes have one casing; a word that appears
in several casings is listed in each). The name stems of assignments (``KEYWORD_STEMS``) are
matched in their lower-case, Capitalised and UPPER forms. A keyword shorter than 4 bytes
slows the automaton it is in, so short ones are kept few.
"""

from __future__ import annotations

from bigpicture.core.gather.secretscan.rule_types import (
    AWS_SECRET_EXAMPLE,
    B62,
    STRIPE_EXAMPLE,
    Example,
    Rule,
    b64,
    example,
    example_in,
    fake,
)
from bigpicture.core.gather.secretscan.rules_infra import INFRA_RULES
from bigpicture.core.gather.secretscan.rules_saas import SAAS_RULES

__all__ = [
    "KEYWORD_STEMS",
    "NON_ASCII_STEMS",
    "RULES",
    "Example",
    "Rule",
]


KEYED_RULES: tuple[Rule, ...] = (
    Rule(
        id="netrc-password",
        description="The password of a netrc entry (machine HOST login USER password PW)",
        keywords=("machine",),
        regex=r"machine[ \t]+\S+\s+login[ \t]+\S+\s+password[ \t]+(?P<secret>[^\s'\"\\]+)",
        span=400,
        requires="login",
        check="keyed-password",
        examples=(
            example(
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
            example(
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
            example_in("sshpass -p '§' ssh deploy@web1 uptime", "Ssh-Deploy-Pass9"),
            example_in("mysql -h db -u root -p'§' -e 'select 1'", "Mysql-R00t-Pass"),
            example_in("redis-cli -h cache -a § ping", "R3dis-Cli-Pass"),
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
            example_in(
                "curl -u admin:§ https://jenkins.internal/job/deploy/build", "Curl-Adm1n-Pass"
            ),
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
        examples=(
            example_in("define('SECURE_AUTH_KEY', '§');", "x9$Lk#2pQ!vR7mZ@cT4wE8yU1iO3aS6d"),
        ),
    ),
    Rule(
        id="kubernetes-secret",
        description="Every value under data: or stringData: of a Kubernetes Secret manifest",
        keywords=("kind: Secret", '"kind": "Secret"'),
        handler="k8s",
        examples=(
            example(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: stripe\ntype: Opaque\ndata:\n"
                f"  live: {b64(fake(B62, 24, 'k8s').encode())}\n",
                b64(fake(B62, 24, "k8s").encode()),
            ),
        ),
    ),
    Rule(
        id="aws-secret-key",
        description="A 40-character AWS secret access key assigned to a secret-looking name",
        keywords=(),
        handler="assign",
        examples=(example(f"aws_secret_access_key = {AWS_SECRET_EXAMPLE}", AWS_SECRET_EXAMPLE),),
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
            example_in(
                'DATABASE_URL = "postgres://app:§@db.internal:5432/app"', fake(B62, 16, "pg")
            ),
            example_in("mongodb+srv://svc:§@cluster0.ab1cd.mongodb.net/", fake(B62, 16, "mongo")),
            example(
                f"REDIS_URL=redis://:{fake(B62, 16, 'redis')}@cache:6379/0", fake(B62, 16, "redis")
            ),
            example(f"broker = 'amqp://guest:{fake(B62, 16, 'amqp')}@mq//'", fake(B62, 16, "amqp")),
        ),
    ),
    Rule(
        id="base64-secret",
        description="A base64 blob that decodes to a token one of the rules above recognises",
        keywords=(),  # the base64 form of each base64=True rule's keywords, see engine
        handler="base64",
        examples=(
            example(f"  stripe: {b64(STRIPE_EXAMPLE.encode())}", b64(STRIPE_EXAMPLE.encode())),
        ),
    ),
    Rule(
        id="password-assignment",
        description="A value assigned to a name that says password, in any language listed "
        "in PASSWORD_WORDS and the usual syntaxes",
        keywords=(),  # KEYWORD_STEMS
        handler="assign",
        examples=(
            example('password = "Tr0ub4dor&3xQ"', "Tr0ub4dor&3xQ"),
            example('contraseña = "Güemes-1987-xk"', "Güemes-1987-xk"),
            example("mot_de_passe: Ratatouille42!", "Ratatouille42!"),
            example('$passwort = "Kuckuck#2019"', "Kuckuck#2019"),
            example('  "密码": "hu4Ng-Sh4n9"', "hu4Ng-Sh4n9"),
            example("パスワード = 'sakura-7731'", "sakura-7731"),
            example('비밀번호 = "Seoul2024!x"', "Seoul2024!x"),
            example('пароль = "Zvezda_1961"', "Zvezda_1961"),
            example("mysql --password=Hq7-vLx2p9 -u root", "Hq7-vLx2p9"),
        ),
    ),
    Rule(
        id="generic-secret-assignment",
        description="A random-looking value assigned to a name that says secret, token, "
        "credential or (api/access/private/...) key",
        keywords=(),  # KEYWORD_STEMS
        handler="assign",
        examples=(
            example(f'API_KEY = "{fake(B62, 32, "generic")}"', fake(B62, 32, "generic")),
            example(f"export AUTH_TOKEN={fake(B62, 32, 'authtok')}", fake(B62, 32, "authtok")),
            example(
                f'<add key="ClientSecret" value="{fake(B62, 32, "xml")}" />',
                fake(B62, 32, "xml"),
            ),
        ),
    ),
)

# Provider tokens first: when findings overlap, the earlier rule names the redaction.
RULES: tuple[Rule, ...] = INFRA_RULES + SAAS_RULES + KEYED_RULES

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
