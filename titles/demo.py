"""Routing rules of the demo (the 2017 press kit: for the Var, permis → Bordeaux, immatriculation → Nîmes,
foreign and international licences → Nantes), with a fallback CERT per title."""

from accounts.models import Organisation
from titles.enums import Title
from titles.models import RoutingRule

RULES = [
    (Title.VEHICLE, "", "83", "cert-nimes"),
    (Title.VEHICLE, "", "", "cert-nimes"),
    (Title.LICENCE, "", "83", "cert-bordeaux"),
    (Title.LICENCE, "", "", "cert-bordeaux"),
    (Title.IDENTITY, "", "83", "cert-toulon-cni"),
    (Title.IDENTITY, "", "", "cert-toulon-cni"),
]


def load(stdout):
    certs = {org.code: org for org in Organisation.objects.certs()}
    for title, procedure_code, departement, cert_code in RULES:
        RoutingRule.objects.update_or_create(
            title=title,
            procedure_code=procedure_code,
            departement=departement,
            defaults={"cert": certs[cert_code]},
        )
    stdout.write(f"{len(RULES)} règles d'orientation vers les CERT.")
