"""Read-only admin lists of the imported vocabularies (imports are the only writers)."""

from django.contrib import admin

from vocabularies.models import ROR_TYPES, Affiliation, Award, Funder, Name


class ReadOnlyAdmin(admin.ModelAdmin):
    list_per_page = 100
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RorTypeFilter(admin.SimpleListFilter):
    title = "type"
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return [(t, t) for t in ROR_TYPES]

    def queryset(self, request, queryset):
        return queryset.with_type(self.value()) if self.value() else queryset


@admin.register(Affiliation)
class AffiliationAdmin(ReadOnlyAdmin):
    list_display = ["ror_id", "name", "country", "city", "status", "last_modified"]
    list_filter = ["status", RorTypeFilter, "country"]
    search_fields = ["=ror_id", "name", "acronyms", "aliases"]


@admin.register(Funder)
class FunderAdmin(ReadOnlyAdmin):
    list_display = ["ror_id", "name", "country", "fundref_ids", "status", "last_modified"]
    list_filter = ["status", "country"]
    search_fields = ["=ror_id", "name", "fundref_ids"]


@admin.register(Name)
class NameAdmin(ReadOnlyAdmin):
    list_display = ["orcid_id", "family_name", "given_names", "credit_name", "last_modified"]
    search_fields = ["=orcid_id", "family_name", "given_names", "credit_name"]
    date_hierarchy = None


@admin.register(Award)
class AwardAdmin(ReadOnlyAdmin):
    list_display = ["openaire_id", "number", "acronym", "title", "funder", "programme", "start_date", "end_date"]
    list_filter = ["programme", ("funder", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["funder"]
    search_fields = ["=openaire_id", "=number", "acronym", "title"]
