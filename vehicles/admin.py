from django.contrib import admin

from vehicles import register
from vehicles.models import Cession, CodeAttempt, Holder, TaxeRegionaleRate, Vehicle, VehicleOperation


class HolderInline(admin.TabularInline):
    model = Holder
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["role", "family_name", "given_names", "siren", "user", "since", "until"]


class OperationInline(admin.TabularInline):
    """The history is append-only: shown, never edited."""

    model = VehicleOperation
    extra = 0
    can_delete = False
    fields = ["at", "kind", "detail", "application"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    list_display = ["registration_number", "make", "model_name", "category", "energy", "fiscal_horsepower",
                     "gage", "opposition", "vol", "immobilisation"]
    list_filter = ["category", "energy", "gage", "opposition", "vol", "immobilisation"]
    search_fields = ["registration_number", "vin", "holders__family_name"]
    inlines = [HolderInline, OperationInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["created_at", "updated_at"]
        # Once in the register, the number and the formule change only through its operations.
        return ["registration_number", "numero_formule", "stickers", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        situation = {name: form.cleaned_data[name] for name in register.SITUATION_FIELDS if name in form.cleaned_data}
        if change:
            for name in situation:
                setattr(obj, name, form.initial.get(name, False))
        super().save_model(request, obj, form, change)
        if change:
            register.set_situation(obj, by=request.user, **situation)


@admin.register(Cession)
class CessionAdmin(admin.ModelAdmin):
    list_display = ["vehicle", "sold_at", "buyer_kind", "code_expires_at", "used_at", "cancelled_at"]
    list_select_related = ["vehicle"]
    search_fields = ["vehicle__registration_number", "buyer_family_name", "buyer_company_name", "buyer_email"]
    exclude = ["code_hash"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name != "code_hash"]

    def has_add_permission(self, request):
        return False


@admin.register(CodeAttempt)
class CodeAttemptAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "user", "vehicle", "success"]
    list_filter = ["kind", "success"]
    list_select_related = ["user", "vehicle"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TaxeRegionaleRate)
class TaxeRegionaleRateAdmin(admin.ModelAdmin):
    list_display = ["region_name", "valid_from", "rate_cents", "clean_vehicles", "source"]
    list_filter = ["region_name", "clean_vehicles"]
