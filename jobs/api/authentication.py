"""``Authorization: Bearer <secret>`` authentication against hashed API tokens; throttling per token."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import SimpleRateThrottle

from jobs.api.models import ApiToken
from jobs.api.tokens import token_find, token_touch

KEYWORDS = (b"bearer", b"token")


class TokenAuthentication(BaseAuthentication):
    """A per-user API token; an unknown, revoked or expired token is refused (401), never ignored."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Give the token as `Authorization: Bearer <token>`.", code="token_malformed")
        try:
            secret = parts[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("The token is not valid.", code="token_invalid") from exc
        token = token_find(secret)
        if token is None:
            raise exceptions.AuthenticationFailed("The token is not valid.", code="token_invalid")
        if token.is_revoked:
            raise exceptions.AuthenticationFailed("The token was revoked.", code="token_revoked")
        if token.is_expired:
            raise exceptions.AuthenticationFailed("The token has expired.", code="token_expired")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is inactive.", code="user_inactive")
        token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class TokenRateThrottle(SimpleRateThrottle):
    """Requests per token (per user for a browser session, per address for anonymous requests)."""

    scope = "api"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"anon-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema names the token: an HTTP bearer scheme."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API token: `Authorization: Bearer jst_…`."}
