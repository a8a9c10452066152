from dataclasses import dataclass

from django.conf import settings

from accounts.franceconnect import franceconnect_enabled
from core.navigation import staff_links


@dataclass(frozen=True)
class SiteConfig:
    """What django-dsfr's templates read as SITE_CONFIG, taken from settings rather than the database."""

    site_title: str
    site_tagline: str
    header_brand_html: str
    footer_brand_html: str
    footer_brand: str
    operator: str
    contact_email: str
    notice: str
    footer_description: str = ""
    beta_tag: bool = False
    mourning: bool = False


def site(request):
    """Expose the branding, whether FranceConnect is configured and the user's professional spaces."""
    user = getattr(request, "user", None)
    return {
        "staff_links": staff_links(user),
        "SITE_CONFIG": SiteConfig(
            site_title=settings.PORTAL_SITE_TITLE,
            site_tagline=settings.PORTAL_SITE_TAGLINE,
            header_brand_html=settings.PORTAL_BRAND_HTML,
            footer_brand_html=settings.PORTAL_BRAND_HTML,
            footer_brand=settings.PORTAL_BRAND_HTML.replace("<br>", " "),
            operator=settings.PORTAL_OPERATOR,
            contact_email=settings.PORTAL_CONTACT_EMAIL,
            notice=settings.PORTAL_NOTICE,
        ),
        "FRANCECONNECT_ENABLED": franceconnect_enabled(),
    }
