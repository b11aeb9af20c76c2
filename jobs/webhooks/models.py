"""A job's webhooks and each webhook's deliveries (with the receiver's response)."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from jobs import conf
from jobs.models import Job, Run
from jobs.webhooks.guard import host_addresses, url_refusal


def secret_generate() -> str:
    return secrets.token_urlsafe(32)


class Webhook(models.Model):
    """POST the run's JSON to ``url`` when a run of ``job`` ends in one of ``statuses``."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField("URL", max_length=2000, help_text="http(s); Slack and Teams incoming webhooks read the text field.")
    statuses = models.JSONField(default=list, help_text="Run statuses that call this webhook.")
    secret = models.CharField(
        max_length=200, default=secret_generate,
        help_text="Signs each body: header X-Jobsite-Signature: sha256=HMAC-SHA256(secret, body) in hex.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job", "pk"]

    def __str__(self):
        return self.url

    def clean(self):
        errors = {}
        if self.url:
            reason = url_refusal(
                self.url, host_addresses(self.url), allow_private=conf.get("JOBS_WEBHOOK_ALLOW_PRIVATE"), unresolved_ok=True
            )
            if reason:
                errors["url"] = f"This URL cannot be called: {reason}."
        unknown = [s for s in self.statuses or [] if s not in Run.FINAL_STATUSES]
        if unknown:
            errors["statuses"] = f"Not a final run status: {', '.join(map(str, unknown))}."
        if errors:
            raise ValidationError(errors)


class Delivery(models.Model):
    """One run's call of one webhook: its attempts and the last response."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="webhook_deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    body = models.TextField(help_text="The exact bytes sent (UTF-8), the same on every attempt.")
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["webhook", "run"], name="webhook_delivery_once_per_run")]
        indexes = [models.Index(fields=["webhook", "-created_at", "-id"], name="webhook_delivery_recent_idx")]

    def __str__(self):
        return f"Delivery {self.pk} of run {self.run_id}"
