"""Django settings for the storefront project (production)."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "⟦django⟧"
DEBUG = False
ALLOWED_HOSTS = ["shop.example.org"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "storefront",
        "USER": "storefront",
        "PASSWORD": "⟦=Vq8#mZt2!pLw⟧",
        "HOST": "db.internal",
        "PORT": "5432",
    }
}

AWS_ACCESS_KEY_ID = "⟦aws-id⟧"
AWS_SECRET_ACCESS_KEY = "⟦aws-secret⟧"
AWS_STORAGE_BUCKET_NAME = "storefront-media"

EMAIL_HOST = "smtp.sendgrid.net"
EMAIL_HOST_USER = "apikey"
EMAIL_HOST_PASSWORD = "⟦sendgrid⟧"

STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "⟦stripe-live⟧")
CELERY_BROKER_URL = "redis://:⟦=r3d1s-Pa55-prod⟧@cache.internal:6379/0"
