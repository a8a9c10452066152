from django.contrib import admin

from accounts.kinds import kinds
from accounts.models import Membership
from identity.enums import MAIRIE_AGENT
from identity.models import Deposit, Mairie, MairieProfile, PreDemande, Slot


class MairieProfileInline(admin.StackedInline):
    model = MairieProfile
    can_delete = False
    min_num = 1
    max_num = 1


class MairieAgentInline(admin.TabularInline):
    """The mairie's agents: memberships with the role « agent de mairie »."""

    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "is_active"]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [(MAIRIE_AGENT, kinds.role_label(MAIRIE_AGENT))]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(Mairie)
class MairieAdmin(admin.ModelAdmin):
    """The mairies (organisations of kind « mairie »), their dispositif de recueil and their agents."""

    list_display = ["name", "city", "postal_code", "departement", "is_equipped_display", "is_active"]
    list_filter = ["mairie_profile__is_equipped", "is_active", "departement"]
    search_fields = ["name", "city", "postal_code"]
    fields = ["name", "address", "postal_code", "city", "departement", "phone", "email", "opening_hours",
              "is_active"]
    inlines = [MairieProfileInline, MairieAgentInline]
    list_select_related = ["mairie_profile"]

    @admin.display(boolean=True, description="équipée")
    def is_equipped_display(self, obj):
        return obj.is_equipped


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
