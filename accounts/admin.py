from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts import services
from accounts.kinds import kinds
from accounts.models import IDENTITY_FIELDS, Membership, Organisation, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "given_names", "family_name", "identity_source", "is_active", "is_staff"]
    list_filter = ["identity_source", "is_active", "is_staff"]
    search_fields = ["email", "given_names", "family_name", "usage_name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "email_verified_at"]}),
        ("Identité", {"fields": ["identity_source", *IDENTITY_FIELDS, "usage_name", "fc_sub", "fc_acr"]}),
        ("Coordonnées", {"fields": ["phone", "address_line", "postal_code", "city"]}),
        ("Droits", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined", "fc_last_login"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    readonly_fields = ["fc_sub", "fc_acr", "fc_last_login", "last_login", "date_joined", "identity_source"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.identity_locked:
            # FranceConnect is the source of truth for these; not even an administrator edits them here.
            fields += list(IDENTITY_FIELDS)
        return fields


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "departement", "is_validated_display", "is_active"]
    list_filter = ["kind", "is_active", "departement"]
    search_fields = ["name", "siret", "agrement_number", "habilitation_number", "code"]
    readonly_fields = ["validated_at", "validated_by", "created_at"]
    inlines = [MembershipInline]
    actions = ["validate"]

    @admin.display(boolean=True, description="validée")
    def is_validated_display(self, obj):
        # Only the kinds registered as needing an administrator's validation have one to show.
        kind = kinds.get(obj.kind) if obj.kind in kinds else None
        return obj.is_validated if kind is None or kind.needs_validation else None

    @admin.action(description="Valider l'agrément ou l'habilitation des organisations choisies")
    def validate(self, request, queryset):
        count = services.validate_organisations(queryset, by=request.user)
        self.message_user(request, f"{count} organisation(s) validée(s).", messages.SUCCESS)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "is_active"]
    list_filter = ["role", "organisation__kind"]
    search_fields = ["user__email", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
