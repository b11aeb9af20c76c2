"""API tokens in the admin: every staff user creates, sees and revokes their own (superusers see all).

The secret is shown once, in the message after saving; only its SHA-256 is stored.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from jobs.api.models import ApiToken
from jobs.api.tokens import token_create, token_revoke


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name", "expires_at"]

    def clean_expires_at(self):
        value = self.cleaned_data.get("expires_at")
        if value is not None and value <= timezone.now() and self.instance.pk is None:
            raise forms.ValidationError("Give a time in the future, or leave it empty for a token that does not expire.")
        return value


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ["name", "prefix_display", "user", "created_at", "expires_at", "last_used_at", "state"]
    list_filter = ["revoked_at"]
    actions = ["revoke_selected"]
    readonly_fields = ["prefix_display", "user", "created_at", "last_used_at", "revoked_at"]

    def _own(self, request):
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request):
        return self._own(request)

    def has_view_permission(self, request, obj=None):
        return self._own(request) and (obj is None or request.user.is_superuser or obj.user_id == request.user.pk)

    def has_add_permission(self, request):
        return self._own(request)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj) and (obj is None or obj.revoked_at is None)

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: the list shows what existed

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user")
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def get_fields(self, request, obj=None):
        return ["name", "expires_at"] if obj is None else ["name", "prefix_display", "user", "created_at", "expires_at",
                                                           "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else [*self.readonly_fields, "expires_at"]

    @admin.display(description="token")
    def prefix_display(self, token):
        return f"{token.prefix}…"

    @admin.display(description="state")
    def state(self, token):
        if token.is_revoked:
            return "revoked"
        return "expired" if token.is_expired else "active"

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        token, secret = token_create(user=request.user, name=obj.name, expires_at=obj.expires_at)
        obj.pk, obj.user, obj.prefix, obj.created_at = token.pk, token.user, token.prefix, token.created_at
        obj._state.adding = False
        messages.warning(request, f"Your new token (copy it now: it is not shown again): {secret}")

    @admin.action(description="Revoke selected tokens")
    def revoke_selected(self, request, queryset):
        revoked = sum(token_revoke(token=token) for token in queryset.filter(revoked_at__isnull=True))
        messages.info(request, f"{revoked} token(s) revoked.")
