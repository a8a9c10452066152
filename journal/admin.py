from django.contrib import admin

from journal.models import Entry


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    """The journal, for administrators: read only, as it is append-only."""

    list_display = ["created_at", "action", "label", "actor", "actor_role", "acting_for", "organisation", "subject"]
    list_filter = ["action", "actor_role", "public", ("organisation", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "created_at"
    search_fields = ["subject", "actor__email", "actor__family_name", "acting_for__email", "acting_for__family_name"]
    list_select_related = ["actor", "acting_for", "organisation"]
    show_full_result_count = False

    @admin.display(description="libellé")
    def label(self, entry):
        return entry.label

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
