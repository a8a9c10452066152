"""What a view declares to the HTTP layer of the project (read by ``portal.middleware.RequestGuardMiddleware``)."""


def max_body_bytes(limit):
    """Let a view receive a larger request body than ``REQUEST_BODY_MAX_BYTES`` (e.g. several files at once).

    ``limit`` is a number of bytes, or a callable returning it (read on each request, so it may depend on what
    is registered at start-up)."""

    def decorate(view):
        view.max_body_bytes = limit
        return view

    return decorate


# Unprocessable Content: the request was understood, what was typed in it is refused (RFC 9110, 15.5.21).
FORM_ERRORS_STATUS = 422


def forms_in(values, depth=2):
    """Yield the forms among `values`, and in the lists and tuples among them (a page's forms may come as
    `[(transition, form), …]`)."""
    from django.forms import BaseForm

    for value in values:
        if isinstance(value, BaseForm):
            yield value
        elif depth and isinstance(value, list | tuple):
            yield from forms_in(value, depth - 1)


def refused_forms(values):
    """The forms among `values` that the view validated and refused (a bound form not yet validated is not
    validated here: that could check a password twice)."""
    return [form for form in forms_in(values) if getattr(form, "_errors", None)]


def form_status(context, status=200):
    """The status of a page re-rendered with its form: 422 when one of its forms was refused, else `status`.

    A more precise status given by the view (403, 404, 409, 429) is kept; a generic 200 or 400 becomes 422."""
    if status in (200, 400) and refused_forms(context.values()):
        return FORM_ERRORS_STATUS
    return status


def render_form(request, template_name, context=None, status=200):
    """`django.shortcuts.render` for a page holding forms: answers 422 when the page shows a refused form, so that
    a refused submission is never a success for a browser, a crawler or a test (the page itself shows the error
    summary, the « Erreur : » title and keeps what was typed)."""
    from django.shortcuts import render

    context = context or {}
    return render(request, template_name, context, status=form_status(context, status))


class FormErrorsStatus:
    """For a Django class view with a form (`FormView` and the auth views): a refused form answers 422, as
    `render_form` does for function views."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = FORM_ERRORS_STATUS
        return response
