from dataclasses import dataclass

from django.conf import settings

from accounts.franceconnect import franceconnect_enabled


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


# The professional spaces, by organisation kind and role (paths, so this module needs no app's URL names).
STAFF_SPACES = [
    ("cert", "agent", "Instruction", "/instruction/"),
    ("point_numerique", "mediateur", "Accompagnement", "/mediation/"),
    ("espace_numerique", "mediateur", "Accompagnement", "/mediation/"),
    ("auto_ecole", None, "Mon auto-école", "/permis/auto-ecole/"),
    ("pro_auto", None, "Espace professionnel", "/vehicules/pro/"),
]


def staff_links(user):
    """Return the (label, path) of the professional spaces the user belongs to, without duplicates."""
    if not user.is_authenticated:
        return []
    pairs = set(
        user.memberships.filter(is_active=True, organisation__is_active=True).values_list("organisation__kind", "role")
    )
    links = []
    mairies = getattr(user, "mairie_memberships", None)  # the identity app's mairie staff, when installed
    if mairies is not None and mairies.filter(is_active=True).exists():
        links.append(("Dispositif de recueil", "/identite/mairie/"))
    for kind, role, label, path in STAFF_SPACES:
        if any(k == kind and (role is None or r == role) for k, r in pairs) and (label, path) not in links:
            links.append((label, path))
    return links


def site(request):
    """Expose the branding, whether FranceConnect is configured and the user's professional spaces."""
    user = getattr(request, "user", None)
    return {
        "staff_links": staff_links(user) if user is not None else [],
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
