"""Keys embedded for the integration environment."""

SIGNING_KEY = """⟦pem:RSA PRIVATE KEY⟧"""

SSH_DEPLOY_KEY = """⟦pem:OPENSSH PRIVATE KEY⟧"""
