from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from dsfr.forms import DsfrBaseForm

from accounts.models import User
from core.forms import EmailField


class LoginForm(DsfrBaseForm, AuthenticationForm):
    username = EmailField(label="Adresse électronique", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label="Mot de passe", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    error_messages = {
        "invalid_login": "Adresse électronique ou mot de passe incorrect. Après 5 essais, le compte est bloqué "
        "15 minutes.",
        "inactive": "Ce compte est désactivé.",
        "unverified": "Vous devez d'abord confirmer votre adresse électronique : suivez le lien reçu par courriel.",
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.email_verified_at is None and not user.fc_sub:
            raise ValidationError(self.error_messages["unverified"], code="unverified")


class SignupForm(DsfrBaseForm, forms.ModelForm):
    password1 = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Au moins 12 caractères, pas uniquement des chiffres, différent de votre nom ou de votre adresse.",
    )
    password2 = forms.CharField(
        label="Confirmation du mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = ["email", "given_names", "family_name", "birth_date"]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("given_names", "family_name", "birth_date"):
            self.fields[name].required = True

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def validate_unique(self):
        """Leave the address out: the form must not say whether it has an account (see ``existing_holder``)."""
        exclude = self._get_validation_exclusions() | {"email"}
        try:
            self.instance.validate_unique(exclude=exclude)
        except ValidationError as error:
            self._update_errors(error)

    def existing_holder(self):
        """Return the user who already has this address, if any (a valid form only)."""
        return User.objects.filter(email__iexact=self.cleaned_data["email"]).first()

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "Les deux mots de passe ne sont pas identiques.")
        elif p1:
            candidate = User(
                email=cleaned.get("email", ""),
                given_names=cleaned.get("given_names", ""),
                family_name=cleaned.get("family_name", ""),
            )
            try:
                password_validation.validate_password(p1, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


class ContactForm(DsfrBaseForm, forms.ModelForm):
    """Contact details: always editable, identity is not part of it."""

    class Meta:
        model = User
        fields = ["phone", "address_line", "postal_code", "city"]

    def clean_postal_code(self):
        code = self.cleaned_data["postal_code"].strip()
        if code and not (len(code) == 5 and code.isdigit()):
            raise ValidationError("Le code postal doit comporter 5 chiffres.")
        return code


class DeclaredIdentityForm(DsfrBaseForm, forms.ModelForm):
    """Identity as declared by a user without FranceConnect; never offered to a FranceConnect user."""

    class Meta:
        model = User
        fields = ["given_names", "family_name", "usage_name", "birth_date", "birth_place", "birth_country", "gender"]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.identity_locked:
            for field in self.fields.values():
                field.disabled = True


class PortalPasswordResetForm(DsfrBaseForm, PasswordResetForm):
    email = EmailField(label="Adresse électronique")


class PortalSetPasswordForm(DsfrBaseForm, SetPasswordForm):
    pass


class PortalPasswordChangeForm(DsfrBaseForm, PasswordChangeForm):
    pass


class OTPTokenForm(DsfrBaseForm):
    token = forms.CharField(
        label="Code à usage unique",
        max_length=16,
        help_text="Les 6 chiffres affichés par votre application d'authentification, ou un code de secours.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
