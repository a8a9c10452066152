"""The procedure registry: title apps register their procedures here; the core drives them."""

from titles.enums import TITLE_DESCRIPTIONS, Title


class ProcedureRegistry:
    def __init__(self):
        self._procedures = {}

    def register(self, procedure_class):
        """Register a Procedure class (usable as a decorator); its code must be unique."""
        code = procedure_class.code
        if code in self._procedures and self._procedures[code] is not procedure_class:
            raise ValueError(f"Procedure code {code!r} is already registered")
        self._procedures[code] = procedure_class
        return procedure_class

    def unregister(self, code):
        self._procedures.pop(code, None)

    def get(self, code):
        """Return the procedure instance for a code; raise KeyError if unknown."""
        return self._procedures[code]()

    def __contains__(self, code):
        return code in self._procedures

    def all(self):
        return [cls() for cls in self._procedures.values()]

    def choices(self):
        return [(code, cls.label) for code, cls in sorted(self._procedures.items())]

    def title_groups(self, listed_only=True):
        """Return, for each title, its label, description and public procedures, in display order."""
        procedures = [p for p in self.all() if p.listed or not listed_only]
        return [
            {
                "title": title,
                "label": title.label,
                "description": TITLE_DESCRIPTIONS[title],
                "procedures": sorted((p for p in procedures if p.title == title), key=lambda p: p.order),
            }
            for title in Title
        ]


registry = ProcedureRegistry()
