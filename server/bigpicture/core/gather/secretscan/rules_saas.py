"""Secret rules (data): AI, package registries, mail, analytics, developer SaaS, JWTs.

See ``rules`` for what a rule holds and how it is used.
"""

from __future__ import annotations

import string

from bigpicture.core.gather.secretscan.rule_types import (
    B62,
    B64URL,
    HEXL,
    UPPER36,
    Rule,
    b64url,
    example,
    example_arg,
    example_in,
    fake,
)

_JWT = (
    b64url(b'{"alg":"HS256","typ":"JWT"}')
    + "."
    + b64url(b'{"sub":"4821096","name":"Ana","iat":1716239022}')
    + "."
    + fake(B64URL, 43, "jwt-sig")
)


SAAS_RULES: tuple[Rule, ...] = (
    Rule(
        id="sendgrid-key",
        description="SendGrid API keys (SG.xxx.yyy)",
        keywords=("SG.",),
        regex=r"(?<![A-Za-z0-9_-])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])",
        span=66,
        base64=True,
        examples=(
            example_arg(
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
        examples=(example_in("TWILIO_API_KEY=§", "SK" + fake(HEXL, 32, "twilio")),),
    ),
    Rule(
        id="mailgun-key",
        description="Mailgun API keys (key-...)",
        keywords=("key-",),
        regex=r"(?<![A-Za-z0-9_-])key-[0-9a-f]{32}(?![A-Za-z0-9_])",
        span=32,
        examples=(example_arg("key-" + fake(HEXL, 32, "mailgun"), "Mailgun"),),
    ),
    Rule(
        id="mailchimp-key",
        description="Mailchimp API keys (32 hex, -us and a data-center number)",
        keywords=("-us",),
        regex=r"(?<![A-Za-z0-9_])[0-9a-f]{32}-us\d{1,2}(?![A-Za-z0-9_])",
        back=32,
        span=2,
        examples=(example_arg(fake(HEXL, 32, "mailchimp") + "-us14", "MailchimpMarketing.Client"),),
    ),
    Rule(
        id="shopify-token",
        description="Shopify access, custom-app, private-app and shared-secret tokens",
        keywords=("shpat_", "shpss_", "shpca_", "shppa_"),
        regex=r"(?<![A-Za-z0-9_])shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}(?![A-Za-z0-9_])",
        span=32,
        examples=(
            example_arg("shpat_" + fake(HEXL, 32, "shpat"), "shopify.Session"),
            example_arg("shpss_" + fake(HEXL, 32, "shpss"), "shopify.Session"),
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
        examples=(example_arg("hf_" + fake(string.ascii_letters, 34, "hf"), "login"),),
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
            example_arg("sk-" + fake(B62, 48, "openai"), "OpenAI"),
            example_arg(
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
        examples=(example_arg("sk-ant-api03-" + fake(B64URL, 93, "ant") + "AA", "Anthropic"),),
    ),
    Rule(
        id="npm-token",
        description="npm access tokens (npm_)",
        keywords=("npm_",),
        regex=r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])",
        span=36,
        min_entropy=2.5,
        examples=(example_in("//registry.npmjs.org/:_authToken=§", "npm_" + fake(B62, 36, "npm")),),
    ),
    Rule(
        id="pypi-token",
        description="PyPI upload tokens (pypi-AgE...)",
        keywords=("pypi-AgE",),
        regex=r"(?<![A-Za-z0-9_])pypi-AgE[A-Za-z0-9_-]{50,}",
        span=300,
        min_entropy=2.5,
        examples=(example_arg("pypi-AgEIcHlwaS5vcmc" + fake(B64URL, 70, "pypi"), "upload"),),
    ),
    Rule(
        id="docker-hub-token",
        description="Docker Hub personal access tokens (dckr_pat_)",
        keywords=("dckr_pat_",),
        regex=r"(?<![A-Za-z0-9_])dckr_pat_[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])",
        span=27,
        examples=(example_in("docker login -u ci -p §", "dckr_pat_" + fake(B64URL, 27, "dckr")),),
    ),
    Rule(
        id="digitalocean-token",
        description="DigitalOcean personal, OAuth and refresh tokens (dop_v1_, doo_v1_, dor_v1_)",
        keywords=("_v1_",),
        regex=r"(?<![A-Za-z0-9_])do[por]_v1_[a-f0-9]{64}(?![A-Za-z0-9_])",
        back=3,
        span=64,
        examples=(example_arg("dop_v1_" + fake(HEXL, 64, "do"), "digitalocean.Manager"),),
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
            example_arg("HRKU-AA" + fake(B64URL, 58, "hrku"), "heroku3.from_key"),
            example_in("HEROKU_API_KEY=§", "0f8b2c4e-91a7-4d3b-8e6f-2a5c9d1b7e40"),
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
        examples=(example(f"DD_API_KEY={fake(HEXL, 32, 'dd')}", fake(HEXL, 32, "dd")),),
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
            example_arg("NRAK-" + fake(UPPER36, 27, "nrak"), "NerdGraph"),
            example_in("license_key: §", fake(HEXL, 36, "nral") + "NRAL"),
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
            example(
                f'sentry_sdk.init(dsn="https://{fake(HEXL, 32, "sentry")}@o4504.ingest.sentry.io/4507")',
                fake(HEXL, 32, "sentry"),
            ),
            example_arg("sntryu_" + fake(HEXL, 64, "sntryu"), "SentryClient"),
        ),
    ),
    Rule(
        id="atlassian-token",
        description="Atlassian API tokens (ATATT3)",
        keywords=("ATATT3",),
        regex=r"(?<![A-Za-z0-9_-])ATATT3[A-Za-z0-9_=-]{180,200}",
        span=200,
        examples=(example_arg("ATATT3xFfGF0" + fake(B64URL, 180, "atlassian"), "Jira"),),
    ),
    Rule(
        id="linear-key",
        description="Linear API keys (lin_api_)",
        keywords=("lin_api_",),
        regex=r"(?<![A-Za-z0-9_])lin_api_[A-Za-z0-9]{40}(?![A-Za-z0-9_])",
        span=40,
        examples=(example_arg("lin_api_" + fake(B62, 40, "linear"), "LinearClient"),),
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
            example_arg("ntn_" + fake("0123456789", 11, "ntn1") + fake(B62, 35, "ntn2"), "Client"),
            example_in("NOTION_TOKEN=§", "secret_" + fake(B62, 43, "notion")),
        ),
    ),
    Rule(
        id="postman-key",
        description="Postman API keys (PMAK-)",
        keywords=("PMAK-",),
        regex=r"(?<![A-Za-z0-9_-])PMAK-[a-f0-9]{24}-[a-f0-9]{34}(?![A-Za-z0-9_-])",
        span=60,
        examples=(
            example_arg("PMAK-" + fake(HEXL, 24, "pm1") + "-" + fake(HEXL, 34, "pm2"), "get"),
        ),
    ),
    Rule(
        id="doppler-token",
        description="Doppler personal, service, service-account, CLI and SCIM tokens",
        keywords=("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim."),
        regex=r"(?<![A-Za-z0-9_])dp\.(?:pt|st|sa|ct|scim)\.[A-Za-z0-9._-]{40,}",
        span=120,
        examples=(example_arg("dp.st.prd." + fake(B62, 43, "doppler"), "DopplerSDK"),),
    ),
    Rule(
        id="vault-token",
        description="HashiCorp Vault service and batch tokens (hvs., hvb.)",
        keywords=("hvs.", "hvb."),
        regex=r"(?<![A-Za-z0-9_])hv[sb]\.[A-Za-z0-9_-]{24,}",
        span=300,
        examples=(example_in("VAULT_TOKEN=§", "hvs." + fake(B64URL, 92, "vault")),),
    ),
    Rule(
        id="grafana-token",
        description="Grafana cloud and service-account tokens (glc_, glsa_)",
        keywords=("glc_", "glsa_"),
        regex=r"(?<![A-Za-z0-9_])(?:glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[a-f0-9]{8})",
        span=400,
        examples=(
            example_arg("glsa_" + fake(B62, 32, "glsa") + "_" + fake(HEXL, 8, "glsa2"), "Api"),
        ),
    ),
    Rule(
        id="databricks-token",
        description="Databricks personal access tokens (dapi + 32 hex)",
        keywords=("dapi",),
        regex=r"(?<![A-Za-z0-9_])dapi[a-f0-9]{32}(?:-\d)?(?![A-Za-z0-9_])",
        span=34,
        examples=(example_arg("dapi" + fake(HEXL, 32, "dapi"), "WorkspaceClient"),),
    ),
    Rule(
        id="planetscale-token",
        description="PlanetScale passwords and tokens (pscale_pw_, pscale_tkn_, pscale_oauth_)",
        keywords=("pscale_",),
        regex=r"(?<![A-Za-z0-9_])pscale_(?:pw|tkn|oauth)_[A-Za-z0-9_.=-]{32,64}",
        span=72,
        examples=(example_arg("pscale_pw_" + fake(B64URL, 43, "pscale"), "connect"),),
    ),
    Rule(
        id="brevo-key",
        description="Brevo (Sendinblue) API keys (xkeysib-)",
        keywords=("xkeysib-",),
        regex=r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}",
        span=82,
        examples=(
            example_arg("xkeysib-" + fake(HEXL, 64, "brevo1") + "-" + fake(B62, 16, "brevo2")),
        ),
    ),
    Rule(
        id="mapbox-token",
        description="Mapbox secret tokens (sk.eyJ...)",
        keywords=("sk.eyJ",),
        regex=r"(?<![A-Za-z0-9_])sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}",
        span=300,
        examples=(
            example_arg(
                "sk." + b64url(b'{"u":"cartoteam","a":"ckx91"}') + "." + fake(B64URL, 22, "mb")
            ),
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
            example_in(
                'token = "§"', fake(B62, 14, "tfc1") + ".atlasv1." + fake(B64URL, 67, "tfc2")
            ),
        ),
    ),
    Rule(
        id="age-secret-key",
        description="age encryption secret keys (AGE-SECRET-KEY-1...)",
        keywords=("AGE-SECRET-KEY-1",),
        regex=r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        span=58,
        examples=(
            example_in(
                "§", "AGE-SECRET-KEY-1" + fake("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58, "age")
            ),
        ),
    ),
    Rule(
        id="jwt",
        description="JSON Web Tokens (eyJ header . payload . signature)",
        keywords=("eyJ",),
        regex=r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){1,3}",
        span=8000,
        check="",
        examples=(example(f"headers['X-Auth'] = '{_JWT}'", _JWT),),
    ),
)
