"""The professional spaces a user's navigation shows, cached per user.

Every page of a signed-in user shows the links to the professional spaces they belong to (Instruction, Mon
auto-école…). Working them out takes two queries; they change only when a membership or an organisation
changes, so they are cached per user and forgotten on those changes (and after
``STAFF_LINKS_TTL`` seconds whatever happens, for changes made behind the ORM's back). The links are navigation
only: every professional view checks the membership itself, so a link shown a moment too long leads to a 404.
"""

from django.apps import apps
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

STAFF_LINKS_TTL = 300

# The professional spaces, by organisation kind and role (paths, so this module needs no app's URL names).
STAFF_SPACES = [
    ("cert", "agent", "Instruction", "/instruction/"),
    ("point_numerique", "mediateur", "Accompagnement", "/mediation/"),
    ("espace_numerique", "mediateur", "Accompagnement", "/mediation/"),
    ("auto_ecole", None, "Mon auto-école", "/permis/auto-ecole/"),
    ("pro_auto", None, "Espace professionnel", "/vehicules/pro/"),
    ("mairie", "mairie_agent", "Dispositif de recueil", "/identite/mairie/"),
]


def cache_key(user_id):
    return f"staff-links:{user_id}"


def compute_staff_links(user):
    """Return the (label, path) of the professional spaces the user belongs to, without duplicates."""
    pairs = set(
        user.memberships.filter(is_active=True, organisation__is_active=True).values_list("organisation__kind", "role")
    )
    links = []
    for kind, role, label, path in STAFF_SPACES:
        if any(k == kind and (role is None or r == role) for k, r in pairs) and (label, path) not in links:
            links.append((label, path))
    return links


def staff_links(user):
    """The user's professional spaces, from the cache when they are there."""
    if user is None or not user.is_authenticated:
        return []
    links = cache.get(cache_key(user.pk))
    if links is None:
        links = compute_staff_links(user)
        cache.set(cache_key(user.pk), links, STAFF_LINKS_TTL)
    return [tuple(link) for link in links]


def forget_staff_links(user_ids):
    cache.delete_many([cache_key(user_id) for user_id in set(user_ids) if user_id is not None])


def _membership_changed(sender, instance, **kwargs):
    forget_staff_links([instance.user_id])


def _members_changed(related_name):
    """A handler for an organisation opened or closed: it changes the links of all its members (rare:
    an administrator's act). ``related_name`` leads from it to its memberships."""

    def handler(sender, instance, **kwargs):
        forget_staff_links(getattr(instance, related_name).values_list("user_id", flat=True))

    return handler


def connect_signals():
    """Forget a user's links when what they are made of changes (called from PortalConfig.ready)."""
    pairs = [
        ("accounts", "Membership", _membership_changed),
        ("accounts", "Organisation", _members_changed("memberships")),
        # A mairie is an Organisation saved through identity's proxy model, which signals under its own name.
        ("identity", "Mairie", _members_changed("memberships")),
    ]
    for app_label, model_name, handler in pairs:
        if not apps.is_installed(app_label):
            continue
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        uid = f"core.navigation.{app_label}.{model_name}"
        # weak=False: the handlers made by _members_changed have no other reference and would be collected.
        post_save.connect(handler, sender=model, dispatch_uid=uid + ".save", weak=False)
        post_delete.connect(handler, sender=model, dispatch_uid=uid + ".delete", weak=False)
