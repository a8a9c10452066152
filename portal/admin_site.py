from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse


class PortalAdminSite(admin.AdminSite):
    """The Django admin, behind the portal's own login and second factor."""

    site_header = "Administration du portail"
    site_title = "Administration du portail"

    def has_permission(self, request):
        return super().has_permission(request) and request.user.is_verified()

    def login(self, request, extra_context=None):
        if not request.user.is_authenticated:
            return redirect_to_login(request.GET.get("next", reverse("admin:index")), reverse("accounts:login"))
        if not request.user.is_verified():
            return redirect(f"{reverse('accounts:otp_verify')}?next={reverse('admin:index')}")
        return redirect("/")
