from django.contrib import admin

from identity.models import Deposit, Mairie, MairieStaff, PreDemande, Slot


class MairieStaffInline(admin.TabularInline):
    model = MairieStaff
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Mairie)
class MairieAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "postal_code", "departement", "is_equipped", "is_active"]
    list_filter = ["is_equipped", "is_active", "departement"]
    search_fields = ["name", "city", "postal_code"]
    inlines = [MairieStaffInline]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    """Slots are opened here (or by a mairie's own tool); bookings are made by citizens, never edited here."""

    list_display = ["mairie", "start", "duration_minutes", "application", "booked_at"]
    list_filter = ["mairie"]
    date_hierarchy = "start"
    readonly_fields = ["application", "booked_at"]
    list_select_related = ["mairie", "application"]


@admin.register(PreDemande)
class PreDemandeAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "application", "created_at", "expires_on"]
    search_fields = ["number", "application__reference"]
    fields = ["number", "kind", "application", "created_at", "expires_on"]
    readonly_fields = fields
    list_select_related = ["application"]

    def has_add_permission(self, request):
        return False


@admin.register(Deposit)
class DepositAdmin(admin.ModelAdmin):
    """The deposits recorded by mairie agents, read-only: they are part of the audit trail."""

    list_display = ["pre_demande", "mairie", "agent", "fingerprints_taken", "recorded_at"]
    fields = ["pre_demande", "mairie", "agent", "fingerprints_taken", "pieces_checked", "note", "recorded_at"]
    readonly_fields = fields
    list_select_related = ["pre_demande", "mairie", "agent"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
