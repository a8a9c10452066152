"""The demo shows the journal at work: a demo student reads what the school did in her name."""

import io

import pytest
from django.urls import reverse

from accounts import demo as accounts_demo
from accounts.models import Organisation, User
from journal.models import Entry
from licences import demo as licences_demo
from licences import demo_school
from titles.models import Application

pytestmark = pytest.mark.django_db


def test_a_demo_student_reads_what_the_school_did_for_her(client, django_capture_on_commit_callbacks):
    out = io.StringIO()
    accounts_demo.load(out)
    licences_demo.load_base(out)
    with django_capture_on_commit_callbacks(execute=True):
        demo_school.load(out)
    school = Organisation.objects.get(code="ae-var-conduite")
    student = Application.objects.filter(organisation=school).select_related("applicant").first().applicant
    staff = User.objects.get(email="autoecole@demo.test")
    mine = Entry.objects.concerning(student)
    assert mine.filter(action="mandate.created", actor=staff, organisation=school).count() == 1
    assert mine.filter(action="mandate.confirmed", actor=student, organisation=school).count() == 1
    assert mine.filter(action="file.submit", actor=staff, organisation=school).exists()

    client.force_login(student)
    page = client.get(reverse("journal:mine")).content.decode()
    assert "Mandat demandé ou déclaré" in page and "Demande déposée" in page and staff.get_full_name() in page

    count = Entry.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        demo_school.load(io.StringIO())
    assert Entry.objects.count() == count  # loaded again, nothing more is journaled
