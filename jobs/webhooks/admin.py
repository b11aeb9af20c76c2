"""Webhooks in the admin: their own pages (the job page lists them and links here), and read-only deliveries.

Not an inline of the job form: that would make every POST of the job form carry the
inline's management form, and the job form is posted by scripts and tests as it is.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from jobs.models import Run
from jobs.webhooks.models import Delivery, Webhook

FINAL_CHOICES = [(s, label) for s, label in Run.Status.choices if s in Run.FINAL_STATUSES]


class WebhookForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=2000, assume_scheme="https")
    statuses = forms.MultipleChoiceField(
        choices=FINAL_CHOICES, widget=forms.CheckboxSelectMultiple, initial=[Run.Status.FAILED],
        help_text="Run statuses that call this webhook.",
    )

    class Meta:
        model = Webhook
        fields = ["job", "url", "statuses", "active", "secret"]
        widgets = {"secret": forms.TextInput(attrs={"size": 40, "autocomplete": "off"})}


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ["url", "job", "statuses", "active", "created_at"]
    list_filter = ["active"]
    list_select_related = ["job"]
    search_fields = ["url", "job__title"]
    autocomplete_fields = ["job"]
    show_facets = admin.ShowFacets.NEVER

    def get_fields(self, request, obj=None):
        return ["job", "url", "statuses", "active", "secret"]

    def get_changeform_initial_data(self, request):
        return {"job": request.GET.get("job"), "statuses": [Run.Status.FAILED]}


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["pk", "run_link", "webhook", "status", "attempts", "response_status", "created_at", "last_attempt_at"]
    list_filter = ["status"]
    list_select_related = ["webhook"]
    readonly_fields = [
        "webhook", "run_link", "status", "attempts", "response_status", "response_body", "error", "created_at",
        "last_attempt_at", "next_attempt_at", "body",
    ]
    fields = readonly_fields
    show_facets = admin.ShowFacets.NEVER

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="run")
    def run_link(self, delivery):
        return format_html('<a href="{}">{}</a>', reverse("admin:jobs_run_change", args=[delivery.run_id]), delivery.run_id)
