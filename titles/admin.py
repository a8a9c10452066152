from django import forms
from django.contrib import admin

from accounts.models import Organisation
from titles.models import RoutingRule
from titles.registry import registry
from titles.www.backoffice.forms import sort_key


class RoutingRuleForm(forms.ModelForm):
    """A rule names a registered procedure of its title (or none: the whole title) and a CERT."""

    class Meta:
        model = RoutingRule
        fields = ["title", "procedure_code", "departement", "cert"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure_code"] = forms.ChoiceField(
            label="Démarche",
            required=False,
            help_text=RoutingRule._meta.get_field("procedure_code").help_text,
            choices=[("", "Toutes les démarches du titre")]
            + sorted(
                ((p.code, f"{p.label} ({p.code})") for p in registry.all()), key=lambda choice: sort_key(choice[1])
            ),
        )
        self.fields["cert"].queryset = Organisation.objects.certs().active()

    def clean_departement(self):
        return self.cleaned_data["departement"].strip().upper()

    def clean(self):
        data = super().clean()
        code, title = data.get("procedure_code"), data.get("title")
        if code and title and registry.get(code).title != title:
            self.add_error("procedure_code", "Cette démarche ne relève pas du titre choisi.")
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ["title", "procedure_code", "departement_display", "cert"]
    list_filter = ["title", "cert"]
    search_fields = ["procedure_code", "departement", "cert__name"]
    ordering = ["title", "procedure_code", "departement"]
    list_select_related = ["cert"]

    @admin.display(description="département", ordering="departement")
    def departement_display(self, rule):
        return rule.departement or "tous (repli)"
