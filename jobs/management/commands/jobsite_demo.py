"""Create an admin user and one demo job per installed job type (idempotent)."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from jobs.exceptions import ArgumentsInvalid
from jobs.models import Job
from jobs.registry import registry
from jobs.services import job_create


class Command(BaseCommand):
    help = "Create an admin user (DJANGO_SUPERUSER_* or a generated password) and demo jobs."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo-jobs", action="store_true", help="Create the admin user only (production).")

    def handle(self, *args, **options):
        self._superuser()
        if options["no_demo_jobs"]:
            return
        for type_id, cls in sorted(registry.types.items()):
            if Job.objects.filter(task_type=type_id).exists():
                continue
            try:
                job = job_create(title=cls.title or type_id, task_type=type_id, description=cls.description or "")
            except ArgumentsInvalid as exc:
                self.stdout.write(f"no demo job for {type_id}: it needs arguments ({exc})")
                continue
            self.stdout.write(f"demo job {job.pk}: {job.title}")

    def _superuser(self):
        User = get_user_model()
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin")
        url = f"http://127.0.0.1:{os.environ.get('PORT') or 8000}/admin/"
        if User.objects.filter(username=username).exists():
            self.stdout.write(
                f"admin user {username!r} exists (`manage.py changepassword {username}` sets a new password); open {url}"
            )
            return
        given = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "admin@localhost")
        # The same AUTH_PASSWORD_VALIDATORS as every other password of the site.
        candidate = User(username=username, email=email)
        if given:
            try:
                validate_password(given, user=candidate)
            except ValidationError as exc:
                raise CommandError(f"DJANGO_SUPERUSER_PASSWORD refused: {' '.join(exc.messages)}", returncode=2) from exc
        password = given or generated_password(user=candidate)
        User.objects.create_superuser(username, email, password)
        shown = "(from DJANGO_SUPERUSER_PASSWORD)" if given else password
        self.stdout.write(self.style.SUCCESS(f"created admin user {username!r} with password {shown}; open {url}"))


def generated_password(user=None) -> str:
    """A random password that starts and ends with a letter or digit (easy to select and paste)
    and passes the site's password validators."""
    while True:
        password = secrets.token_urlsafe(12)
        if not (password[0].isalnum() and password[-1].isalnum()):
            continue
        try:
            validate_password(password, user=user)
        except ValidationError:
            continue
        return password
