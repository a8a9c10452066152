from django.contrib import admin

from licences.models import EphotoCode, InternationalPermit, Licence, LicenceCategory, SchoolTransfer


class LicenceCategoryInline(admin.TabularInline):
    model = LicenceCategory
    extra = 0


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ["neph", "holder", "status", "card_number", "card_issued_on", "card_valid_until"]
    list_filter = ["status", "medical_restriction"]
    search_fields = ["neph", "card_number", "holder__email", "holder__family_name"]
    autocomplete_fields = ["holder"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [LicenceCategoryInline]


@admin.register(InternationalPermit)
class InternationalPermitAdmin(admin.ModelAdmin):
    list_display = ["licence", "issued_on", "valid_until"]
    readonly_fields = ["licence", "application", "issued_on", "valid_until"]


@admin.register(EphotoCode)
class EphotoCodeAdmin(admin.ModelAdmin):
    """The embedded issuer's register, read-only: codes are issued by booths, used by applications."""

    list_display = ["code", "booth", "taken_at", "used_at", "used_for"]
    search_fields = ["code", "used_for"]
    fields = ["code", "booth", "taken_at", "used_at", "used_for"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


@admin.register(SchoolTransfer)
class SchoolTransferAdmin(admin.ModelAdmin):
    list_display = ["application", "from_organisation", "to_organisation", "requested_at", "confirmed_at",
                    "refused_at"]
    readonly_fields = ["application", "from_organisation", "to_organisation", "mandate", "requested_by",
                       "requested_at", "confirmed_at", "refused_at"]
    exclude = ["token"]

    def has_add_permission(self, request):
        return False
