from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from portal import kiosk, views
from portal.admin_site import PortalAdminSite
from titles.www.public.urls import statistics_urlpatterns

admin.site.__class__ = PortalAdminSite

urlpatterns = [
    path("", views.home, name="home"),
    path("aide/", views.help_page, name="help"),
    path("points-numeriques/", views.points_numeriques, name="points_numeriques"),
    path("mentions-legales/", views.legal_page, {"page": "mentions"}, name="legal_mentions"),
    path("donnees-personnelles/", views.legal_page, {"page": "donnees"}, name="legal_privacy"),
    path("accessibilite/", views.legal_page, {"page": "accessibilite"}, name="legal_accessibility"),
    path("healthz", views.healthz, name="healthz"),
    path("appareil-partage/", kiosk.shared_device_page, name="kiosk"),
    path("appareil-partage/terminer/", kiosk.end_and_clear, name="kiosk_end"),
    path("appareil-partage/termine/", kiosk.ended, name="kiosk_ended"),
    path("compte/", include("accounts.urls")),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", RedirectView.as_view(url="/static/dsfr/dist/favicon/favicon.ico", permanent=True)),
    path("instruction/", include("titles.www.backoffice.urls")),
    path("statistiques/", include(statistics_urlpatterns)),
    path("mediation/", include("titles.www.mediation.urls")),
    path("vehicules/", include("vehicles.urls")),
    path("permis/", include("licences.urls")),
    path("identite/", include("identity.urls")),
    path("mon-espace/journal/", include("journal.urls")),
    path("api/v1/", include("api.urls")),
    path("professionnels/cles-api/", include("api.web_urls")),
    path("", include("titles.urls")),
]

handler400 = "portal.views.error_400"
handler403 = "portal.views.error_403"
handler404 = "portal.views.error_404"
handler500 = "portal.views.error_500"
