"""Where a French postal code lies: its département or collectivité (the one place that answers it)."""

# Saint-Barthélemy and Saint-Martin left Guadeloupe in 2007 (LO n° 2007-223 du 21 février 2007): their own
# collectivités d'outre-mer, INSEE codes 977 and 978, although La Poste still gives them 971xx postal codes.
OWN_COLLECTIVITE_POSTAL_CODES = {"97133": "977", "97150": "978"}


def departement_of(postal_code):
    """Return the département (or collectivité d'outre-mer) of a French postal code: 2A/2B for Corsica, 3 digits
    overseas, "" for anything else."""
    code = "".join(str(postal_code or "").split())
    if len(code) != 5 or not code.isdigit():
        return ""
    if code in OWN_COLLECTIVITE_POSTAL_CODES:
        return OWN_COLLECTIVITE_POSTAL_CODES[code]
    if code.startswith("20"):
        return "2A" if int(code) < 20200 else "2B"
    if code.startswith(("97", "98")):
        return code[:3]
    return code[:2]
