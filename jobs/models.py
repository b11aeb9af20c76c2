"""Jobs (a configured job type), their runs and the runs' log lines."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property

from jobs import conf
from jobs.registry import registry


class JobQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def with_run_stats(self):
        """Annotate the run count and the newest run's id (index-only lookups per job)."""
        newest = Run.objects.newest_for(OuterRef("pk")).values("pk")[:1]
        count = Run.objects.filter(job=OuterRef("pk")).order_by().values("job").annotate(n=Count("pk")).values("n")
        return self.annotate(
            run_count=Coalesce(Subquery(count), 0), last_run_id=Subquery(newest)
        )

    def with_last_runs(self):
        """Annotate the newest run id per status; ``attach_last_runs`` then loads them in one query."""
        return self.annotate(
            **{
                _last_run_field(status): Subquery(
                    Run.objects.newest_for(OuterRef("pk")).filter(status=status).values("pk")[:1]
                )
                for status in Run.Status.values
            }
        )


class Job(models.Model):
    """A job type with its default arguments and run-control settings."""

    class OverlapPolicy(models.TextChoices):
        SKIP = "skip", "Skip the tick (record it as skipped)"
        QUEUE = "queue", "Queue it after the active run"
        ALLOW = "allow", "Allow runs to overlap"
        REPLACE = "replace", "Cancel the active run and start the new one"

    title = models.CharField(max_length=200)
    # The job's name in a jobs file (manage.py jobs export / apply): matched by it, not by id.
    key = models.SlugField(
        max_length=100, unique=True, null=True, blank=True,
        help_text="Stable name of the job in a jobs file (manage.py jobs export/apply).",
    )
    description = models.TextField(blank=True)
    task_type = models.CharField("job type", max_length=100, db_index=True)
    active = models.BooleanField(default=True, help_text="Inactive jobs are not scheduled.")
    default_args = models.JSONField("default arguments", default=dict, blank=True)
    queue = models.CharField(max_length=100, blank=True, help_text="Celery queue; empty for the default queue.")

    overlap_policy = models.CharField(max_length=10, choices=OverlapPolicy.choices, default=OverlapPolicy.SKIP)
    missed_grace_seconds = models.PositiveIntegerField(
        default=300, help_text="A scheduled tick later than this (scheduler down) is recorded as missed."
    )
    soft_time_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds; the task is asked to stop.")
    time_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds; the task is killed.")
    max_retries = models.PositiveSmallIntegerField(default=0)
    retry_backoff_seconds = models.PositiveIntegerField(default=60, help_text="Doubled for every further retry.")
    notify_emails = models.TextField(blank=True, help_text="E-mail addresses, one per line or comma separated.")
    notify_on = models.JSONField(default=list, blank=True, help_text="Run statuses that send an e-mail.")
    slow_factor = models.FloatField(
        null=True, blank=True, help_text="Alert when a run takes longer than this multiple of the median success."
    )

    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask", null=True, blank=True, editable=False,
        on_delete=models.SET_NULL, related_name="job", help_text="The job's schedule (owned by jobs.scheduling).",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        permissions = [("run_job", "Can run jobs")]

    def __str__(self):
        return self.title

    def clean(self):
        """Refuse run-control settings that cannot work (used by the admin and the services)."""
        errors = {}
        if self.soft_time_limit and self.time_limit and self.soft_time_limit >= self.time_limit:
            # Celery would kill the task before it is ever asked to stop.
            errors["soft_time_limit"] = f"Must be less than the time limit ({self.time_limit} s)."
        bad = [address for address in self.notify_addresses() if not _is_email(address)]
        if bad:
            errors["notify_emails"] = f"Not an e-mail address: {', '.join(bad)}."
        if self.slow_factor is not None and self.slow_factor <= 1:
            errors["slow_factor"] = "Enter a factor above 1 (e.g. 3: three times the median run), or leave it empty."
        if errors:
            raise ValidationError(errors)

    def notify_addresses(self) -> list[str]:
        return [address for address in re.split(r"[\s,;]+", self.notify_emails or "") if address]

    @property
    def registered_task(self):
        return registry.get(self.task_type)

    @property
    def available(self) -> bool:
        return self.registered_task is not None

    @property
    def effective_queue(self) -> str:
        return self.queue or conf.get("JOBS_DEFAULT_QUEUE")

    @cached_property
    def last_runs(self) -> dict[str, Run | None]:
        """Newest run of this job in every status (None where there is none), in two queries."""
        job = self if hasattr(self, "last_success_id") else Job.objects.with_last_runs().get(pk=self.pk)
        return attach_last_runs([job])[0].last_runs

    @cached_property
    def last_run(self) -> Run | None:
        return Run.objects.newest_for(self).first()


def _is_email(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _last_run_field(status: str) -> str:
    return f"last_{status}_id"


def attach_last_run(jobs):
    """Fill ``last_run`` of jobs from ``with_run_stats()`` (annotated ``last_run_id``) with one query.

    Only what a list shows of the run is loaded (status and times).
    """
    jobs = list(jobs)
    ids = [job.last_run_id for job in jobs if job.last_run_id]
    runs = Run.objects.only("id", "job_id", "status", "created_at", "started_at", "finished_at").in_bulk(ids) if ids else {}
    for job in jobs:
        job.__dict__["last_run"] = runs.get(job.last_run_id)
    return jobs


def attach_last_runs(jobs):
    """Fill ``last_runs`` and ``last_run`` of jobs from ``with_last_runs()`` with one query."""
    jobs = list(jobs)
    wanted = {getattr(job, _last_run_field(s)) for job in jobs for s in Run.Status.values}
    wanted |= {getattr(job, "last_run_id", None) for job in jobs}
    wanted.discard(None)
    runs = Run.objects.in_bulk(list(wanted)) if wanted else {}
    for job in jobs:
        job.__dict__["last_runs"] = {s: runs.get(getattr(job, _last_run_field(s))) for s in Run.Status.values}
        if hasattr(job, "last_run_id"):
            job.__dict__["last_run"] = runs.get(job.last_run_id)
    return jobs


class RunQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=Run.ACTIVE_STATUSES)

    def finished(self):
        return self.filter(status__in=Run.FINAL_STATUSES)

    def for_job(self, job):
        return self.filter(job=job)

    def top_level(self):
        return self.filter(parent__isnull=True)

    def newest_first(self):
        """Newest first, by the order every run index has (``-created_at, -id``)."""
        return self.order_by("-created_at", "-pk")

    def newest_for(self, job):
        """The top-level runs of ``job`` (a job, its id or an ``OuterRef``), newest first: ``.first()`` is its last run.

        Subtasks are left out: a job's last run is the run an operator started, not one of its parts.
        """
        return self.filter(job=job, parent__isnull=True).newest_first()


class Run(models.Model):
    """One execution of a job with fixed, validated arguments."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        CANCELLING = "cancelling", "Cancelling"
        SUCCESS = "success", "Success"
        PARTIAL_SUCCESS = "partial_success", "Partial success"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        SKIPPED = "skipped", "Skipped"

    class Trigger(models.TextChoices):
        ADMIN = "admin", "Admin"
        CLI = "cli", "Command line"
        SCHEDULE = "schedule", "Schedule"
        API = "api", "API"
        RETRY = "retry", "Retry"
        SUBTASK = "subtask", "Subtask"
        FINALLY = "finally", "After the subtasks"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING, Status.CANCELLING)
    FINAL_STATUSES = (Status.SUCCESS, Status.PARTIAL_SUCCESS, Status.FAILED, Status.CANCELLED, Status.SKIPPED)

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.ADMIN)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    args = models.JSONField("arguments", default=dict, blank=True)
    queue = models.CharField(max_length=100, blank=True)
    task_id = models.CharField("Celery task id", max_length=64, blank=True, db_index=True)

    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, help_text="The schedule tick this run belongs to.")

    progress_done = models.BigIntegerField(null=True, blank=True)
    progress_total = models.BigIntegerField(null=True, blank=True)
    counters = models.JSONField(default=dict, blank=True)
    errors = models.JSONField("errored entries", default=list, blank=True)
    message = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    host = models.CharField("worker host", max_length=255, blank=True)

    held = models.BooleanField(
        default=False, help_text="Queued behind the job's active run (overlap policy queue); sent when it ends."
    )
    not_before = models.DateTimeField(null=True, blank=True, help_text="Sent with a countdown (a retry's backoff).")
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    slow_notified_at = models.DateTimeField(null=True, blank=True, help_text="When the slow-run alert went out.")
    reenqueued_at = models.DateTimeField(null=True, blank=True, help_text="When the reaper sent a lost message again.")
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When its message went to the broker (empty: waiting for the broker)."
    )
    request_token = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False,
        help_text="The one-time token of the form that created it: a resubmitted form returns this run.",
    )

    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")
    attempt = models.PositiveSmallIntegerField(default=0)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Subtasks (jobs.runs.subtasks): a child run executes ``task_name`` with ``args`` for its parent.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    task_name = models.CharField("subtask's Celery task", max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True, help_text="A subtask's title.")
    awaiting_children = models.BooleanField(
        default=False, help_text="The task has returned; the run ends when its last subtask ends."
    )
    # ``current_run().spawn_finally(task, kwargs)``: run as one more child (trigger ``finally``) once its
    # last subtask has ended (jobs.runs.finishing).
    then_task = models.CharField("task after the subtasks", max_length=200, blank=True)
    then_args = models.JSONField(default=dict, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("cancel_run", "Can cancel runs")]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="run_created_idx"),
            models.Index(fields=["job", "-created_at", "-id"], name="run_job_created_idx"),
            models.Index(fields=["job", "status", "-created_at", "-id"], name="run_job_status_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="run_status_created_idx"),
            models.Index(fields=["trigger", "-created_at", "-id"], name="run_trigger_created_idx"),
            # The outbox: queued runs whose message has not reached the broker (a handful at most).
            models.Index(
                fields=["created_at"], condition=models.Q(status="queued", sent_at__isnull=True), name="run_unsent_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "due_at"], condition=models.Q(due_at__isnull=False), name="run_one_per_job_due_at"
            ),
            # A parent's step after its subtasks is started once.
            models.UniqueConstraint(
                fields=["parent"], condition=models.Q(trigger="finally"), name="run_one_finally_per_parent"
            ),
        ]

    def __str__(self):
        return f"Run {self.pk} of {self.job.title}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def duration(self):
        if self.started_at is None:
            return None
        end = self.finished_at or timezone.now()
        return end - self.started_at

    @property
    def progress_percent(self) -> float | None:
        if not self.progress_total:
            return None
        return min(100.0, 100.0 * (self.progress_done or 0) / self.progress_total)


class RunLog(models.Model):
    """One log line captured while a run executed; ``seq`` orders a run's lines."""

    # The key is (run, seq): no serial id to draw and index for every line.
    pk = models.CompositePrimaryKey("run_id", "seq")
    # No database-level foreign key: checking it costs more than half of the COPY time of
    # a log batch. Deletes still cascade through the ORM, and ``runs_purge`` deletes logs first.
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="logs", db_index=False, db_constraint=False)
    seq = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    level = models.PositiveSmallIntegerField()
    logger = models.CharField(max_length=200)
    message = models.TextField()

    class Meta:
        ordering = ["run", "seq"]
        # The level filter of the run page: "warning and up" and "error and up" read this
        # small partial index; "info and up" walks (run, seq) and skips the few debug lines.
        # Info and debug lines, nearly all of them, cost no index entry of their own here.
        indexes = [
            models.Index(
                fields=["run", "seq"], name="runlog_run_warning_idx", condition=models.Q(level__gte=logging.WARNING)
            )
        ]

    def __str__(self):
        return f"{self.run_id}#{self.seq}"
