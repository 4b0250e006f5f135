token_refresh_interval_seconds_for_background_worker = 3600
password_reset_token_expiry_hours = 24
max_tokens_per_request_for_the_summarizer_model = 4096
secret_manager_secret_version_resource_name_template = (
    "projects/{project}/secrets/{name}/versions/latest"
)
AUTH_TOKEN_HEADER_NAME = "X-Auth-Token"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
CREDENTIALS_FILE_PATH = "~/.config/acme/credentials.json"
api_key_env_var = "ACME_API_KEY"
tokenizer = AutoTokenizer.from_pretrained("bert-base-multilingual-uncased")
author = "Jane Doe <jane@acme.io>"
ProgressToken = CancellationToken2 = WorkDoneProgressToken = None
szOID_RSA_challengePwd: Final = "1.2.840.113549.1.9.7"
CMSG_OID_GEN_ENCRYPT_KEY_FUNC: Final = "CryptMsgDllGenEncryptKey"
