"""``manage.py jobs token create USER --name N [--days D] | list [--user U] | revoke ID``: API tokens.

``token_arguments_add`` fills the ``token`` subparser; ``token_command`` does the work and
returns the lines to print. The secret is printed once, at creation; only its hash is
stored. Bad input raises ``CommandError`` with exit code 2.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from jobs.api.models import ApiToken
from jobs.api.tokens import token_create, token_revoke, tokens_of

EXIT_BAD_INPUT = 2


def token_arguments_add(parser) -> None:
    actions = parser.add_subparsers(dest="token_action", required=True, metavar="{create,list,revoke}")
    create = actions.add_parser("create", help="Create a token for a user; prints its secret once.")
    create.add_argument("user", help="Username.")
    create.add_argument("--name", required=True, help='What it is for, e.g. "deploy pipeline".')
    create.add_argument("--days", type=int, help="Expires after this many days (default: never).")
    listing = actions.add_parser("list", help="Tokens (never their secrets).")
    listing.add_argument("--user", help="Only this user's tokens.")
    revoke = actions.add_parser("revoke", help="Revoke a token by id.")
    revoke.add_argument("token_id", type=int)


def _user(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no user {username!r}", returncode=EXIT_BAD_INPUT)
    return user


def _state(token: ApiToken) -> str:
    if token.is_revoked:
        return f"revoked {token.revoked_at:%Y-%m-%d %H:%M}"
    if token.is_expired:
        return f"expired {token.expires_at:%Y-%m-%d %H:%M}"
    return f"expires {token.expires_at:%Y-%m-%d %H:%M}" if token.expires_at else "no expiry"


def token_command(*, token_action: str, user=None, name=None, days=None, token_id=None, **_) -> list[str]:
    """Create, list or revoke API tokens; return the lines to print."""
    if token_action == "create":
        if days is not None and days <= 0:
            raise CommandError("--days must be positive", returncode=EXIT_BAD_INPUT)
        token, secret = token_create(user=_user(user), name=name, days=days)
        return [f"token {token.pk} for {token.user.username} ({token.name}, {_state(token)}):", secret,
                "Copy it now: it is not shown again."]
    if token_action == "list":
        tokens = tokens_of(_user(user)) if user else ApiToken.objects.select_related("user").order_by("pk")
        lines = [f"{t.pk} {t.user.username} {t.name!r} {t.prefix}… {_state(t)}" for t in tokens]
        return lines or ["no tokens"]
    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None:
        raise CommandError(f"no token with id {token_id}", returncode=EXIT_BAD_INPUT)
    if not token_revoke(token=token):
        raise CommandError(f"token {token_id} was already revoked", returncode=EXIT_BAD_INPUT)
    return [f"token {token.pk} ({token.name}) revoked"]
