"""The one family of refusals: an action or an input the rules refuse, with the French message to show."""


class Refused(Exception):
    """Something the rules refuse. `code` names the cause (a short slug, for code and tests); `reason` says it in
    French, for the person who tried: show `reason`, never `str()` of the exception.

    Each area raises its own subclass (``InvalidTransition``, ``AppointmentRefused``…) so that a view catches
    only what the service it calls may refuse.
    """

    def __init__(self, code, reason):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
