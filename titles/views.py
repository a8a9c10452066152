from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def dashboard(request):
    """Mon espace: every application of the user, across titles."""
    return render(request, "titles/dashboard.html")
