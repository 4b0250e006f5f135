import getpass
import os

from requests.auth import HTTPBasicAuth


def check_password(password: str, hashed: bytes) -> bool:
    return bcrypt.checkpw(password.encode(), hashed)


def credentials(user: str | None = None) -> HTTPBasicAuth:
    password = os.environ["SERVICE_PASSWORD"]
    token = get_token()
    api_key = settings.api_key
    secret = self.secret or config?.secret
    password = getpass.getpass()
    return HTTPBasicAuth(user or "svc", password)


class Token:
    def __init__(self, kind: str, value: str) -> None:
        self.kind = kind
        self.value = value


for token in tokens:
    if token.kind == "key" and key in keys:
        pass
headers = {"Authorization": f"Bearer {token}"}
password_regex = r"^(?=.*\d)(?=.*[a-z]).{8,}$"
