"""API token writes and lookup: create (the secret returned once), revoke, and find by secret."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from django.db.models import F
from django.utils import timezone

from jobs.api.models import ApiToken

logger = logging.getLogger(__name__)

SECRET_PREFIX = "jst_"
LAST_USED_EVERY = dt.timedelta(minutes=1)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, user, name: str, expires_at: dt.datetime | None = None, days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return it and its secret (stored only as a hash)."""
    if days is not None:
        expires_at = timezone.now() + dt.timedelta(days=days)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=token_hash(secret), prefix=secret[: len(SECRET_PREFIX) + 6], expires_at=expires_at
    )
    logger.info("api_token_created token_id=%s user_id=%s", token.pk, user.pk)
    return token, secret


def token_revoke(*, token: ApiToken) -> bool:
    """Revoke the token (compare-and-set: only once); return whether this call revoked it."""
    now = timezone.now()
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now) == 1
    if revoked:
        token.revoked_at = now
        logger.info("api_token_revoked token_id=%s", token.pk)
    return revoked


def token_find(secret: str) -> ApiToken | None:
    """The token with this secret (revoked or expired included), with its user."""
    return ApiToken.objects.select_related("user").filter(key_hash=token_hash(secret)).first()


def token_touch(*, token: ApiToken) -> None:
    """Record the token's use, at most once a minute (one UPDATE, not one per request)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def tokens_of(user):
    return ApiToken.objects.filter(user=user).order_by(F("revoked_at").desc(nulls_first=True), "-created_at")
