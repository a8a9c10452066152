"""The registry of titles and procedures: title apps register theirs here at start-up; the core drives them.

The core lists no title: each title app registers the title it issues (`register_title`, in its
`AppConfig.ready()`), then its procedures. `Application.title` and `RoutingRule.title` take their choices from
here (`title_choices`, a callable: a new title needs no migration of `titles`).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class TitleInfo:
    code: str
    label: str
    description: str  # shown on the home page, above the title's procedures
    order: int = 0  # order on the home page


class ProcedureRegistry:
    def __init__(self):
        self._procedures = {}
        self._titles = {}

    def register_title(self, code, label, description, order=0):
        """Register a title and return its code; registering it again the same way is harmless."""
        info = TitleInfo(code, str(label), str(description), order)
        if self._titles.get(code, info) != info:
            raise ValueError(f"Title {code!r} is already registered differently")
        self._titles[code] = info
        return code

    def title(self, code):
        """Return the `TitleInfo` of a code; raise KeyError if no app registered it."""
        return self._titles[code]

    def titles(self):
        """Return the registered titles in display order."""
        return sorted(self._titles.values(), key=lambda t: (t.order, t.code))

    def title_label(self, code):
        info = self._titles.get(code)
        return info.label if info else code

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
                "title": title.code,
                "label": title.label,
                "description": title.description,
                "procedures": sorted((p for p in procedures if p.title == title.code), key=lambda p: p.order),
            }
            for title in self.titles()
        ]


registry = ProcedureRegistry()


def title_choices():
    """The choices of the models' `title` fields (a callable, evaluated when used)."""
    return [(title.code, title.label) for title in registry.titles()]
