"""Secret rules (data): private keys, cloud providers, code hosting, chat and payments.

See ``rules`` for what a rule holds and how it is used.
"""

from __future__ import annotations

import string

from bigpicture.core.gather.secretscan.rule_types import (
    AWS_SECRET_EXAMPLE,
    B62,
    B64,
    B64URL,
    HEXL,
    LOWER36,
    STRIPE_EXAMPLE,
    UPPER36,
    Rule,
    b64url,
    example,
    example_arg,
    example_in,
    fake,
)

_AWS_ID = "AKIA" + fake(string.ascii_uppercase + "234567", 16, "aws-id")
_DISCORD = (
    b64url(b"1129384756102938475")  # a snowflake id
    + "."
    + fake(B64URL, 6, "discord-ts")
    + "."
    + fake(B64URL, 38, "discord-hmac")
)
_SA_KEY_ID = fake(HEXL, 40, "gcp-sa-key-id")


INFRA_RULES: tuple[Rule, ...] = (
    Rule(
        id="private-key",
        description="PEM, OpenSSH, PGP and PKCS#8 private-key blocks (with or without END)",
        keywords=("PRIVATE KEY", "SECRET KEY"),
        handler="pem",
        examples=(
            example(
                "-----BEGIN RSA PRIVATE KEY-----\n"
                + "\n".join(fake(B64, 64, f"pem{i}") for i in range(3))
                + "\n-----END RSA PRIVATE KEY-----",
                fake(B64, 64, "pem1"),
            ),
            example(
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA"
                + fake(B64, 40, "ossh")
                + "\n-----END OPENSSH PRIVATE KEY-----",
                fake(B64, 40, "ossh"),
            ),
            example(
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
            example(
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
            example(f'boto3.client("s3", aws_access_key_id="{_AWS_ID}")', _AWS_ID),
            example(
                f'session = boto3.Session("{_AWS_ID}", "{AWS_SECRET_EXAMPLE}")', AWS_SECRET_EXAMPLE
            ),
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
        examples=(example(f'  "private_key_id": "{_SA_KEY_ID}",', _SA_KEY_ID),),
    ),
    Rule(
        id="google-api-key",
        description="Google API keys (AIza...)",
        keywords=("AIza",),
        regex=r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])",
        span=35,
        check="",
        base64=True,
        examples=(example_arg("AIza" + fake(B64URL, 35, "gcp"), "maps.load"),),
    ),
    Rule(
        id="google-oauth",
        description="Google OAuth client secrets (GOCSPX-) and access tokens (ya29.)",
        keywords=("GOCSPX-", "ya29."),
        regex=r"(?<![A-Za-z0-9_-])(?:GOCSPX-[A-Za-z0-9_-]{28}|ya29\.[A-Za-z0-9_-]{30,})",
        span=400,
        examples=(
            example_in('client_secret="§"', "GOCSPX-" + fake(B64URL, 28, "gocspx")),
            example_arg("ya29." + fake(B64URL, 60, "ya29"), "creds.refresh"),
        ),
    ),
    Rule(
        id="azure-storage-key",
        description="Azure storage account keys in connection strings (AccountKey=)",
        keywords=("AccountKey=",),
        regex=r"(?i:AccountKey)=(?P<secret>[A-Za-z0-9+/]{86}==)",
        span=90,
        examples=(
            example(
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
        examples=(
            example_arg("Xk7" + "8Q~" + fake(B62, 34, "azure-ad"), "ClientSecretCredential"),
        ),
    ),
    Rule(
        id="alibaba-key",
        description="Alibaba Cloud AccessKey ids (LTAI)",
        keywords=("LTAI",),
        regex=r"(?<![A-Za-z0-9_])LTAI[A-Za-z0-9]{20}(?![A-Za-z0-9_])",
        span=20,
        examples=(example_arg("LTAI" + fake(B62, 20, "ali"), "AcsClient"),),
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
            *(example_arg(f"gh{k}_" + fake(B62, 36, "gh" + k), "Github") for k in "pousr"),
            example_arg(
                "github_pat_" + fake(B62, 22, "ghpat1") + "_" + fake(B62, 59, "ghpat2"), "Github"
            ),
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
            example_in('GITLAB_TOKEN: "§"', "glpat-" + fake(B64URL, 20, "glpat")),
            example_arg("gldt-" + fake(B64URL, 20, "gldt"), "gitlab.Gitlab"),
            example_arg("glrt-" + fake(B64URL, 20, "glrt"), "register_runner"),
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
            example_arg(
                "xoxb-"
                + fake("0123456789", 11, "sl1")
                + "-"
                + fake("0123456789", 13, "sl2")
                + "-"
                + fake(B62, 24, "sl3"),
                "WebClient",
            ),
            example_arg("xapp-1-A" + fake(UPPER36, 10, "xapp1") + "-" + fake(B62, 40, "xapp2")),
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
            example_in(
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
            example_in("import discord\nbot.run('§')", _DISCORD),
            example_in("const { Client } = require('discord.js');\nclient.login(\"§\");", _DISCORD),
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
            example_in(
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
            example_arg("6120394857:AA" + fake(B64URL, 33, "tg"), "Bot"),
            example_in(
                "https://api.telegram.org/bot§/getMe", "7012345678:AA" + fake(B64URL, 33, "tg2")
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
            example_arg(STRIPE_EXAMPLE, "stripe.StripeClient"),
            example_arg("rk_" + "test_" + fake(B62, 24, "rk"), "stripe.StripeClient"),
            example_in("STRIPE_WEBHOOK = '§'", "whsec_" + fake(B62, 32, "whsec")),
        ),
    ),
    Rule(
        id="square-token",
        description="Square access tokens and OAuth secrets (sq0atp-, sq0csp-, EAAA)",
        keywords=("sq0atp-", "sq0csp-", "EAAA"),
        regex=r"(?<![A-Za-z0-9_-])(?:sq0atp-[A-Za-z0-9_-]{22}|sq0csp-[A-Za-z0-9_-]{43}"
        r"|EAAA[A-Za-z0-9_+=-]{60})(?![A-Za-z0-9_-])",
        span=64,
        examples=(example_arg("EAAA" + fake(B64URL, 60, "square"), "Client"),),
    ),
    Rule(
        id="braintree-token",
        description="PayPal Braintree production and sandbox access tokens",
        keywords=("access_token$",),
        regex=r"access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}",
        span=70,
        examples=(
            example_arg(
                "access_token$production$" + fake(LOWER36, 16, "bt1") + "$" + fake(HEXL, 32, "bt2"),
                "braintree.BraintreeGateway",
            ),
        ),
    ),
)
