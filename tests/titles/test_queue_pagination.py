"""The agent's queue pages by cursor (core/pagination.py): every file once across the pages, oldest first, the
filters kept, stable when files arrive, first/previous/next/last links, and a bad cursor answered in French."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from core.pagination import KeysetPaginator
from tests.conftest import verified
from tests.factories import MembershipFactory
from tests.titles.test_backoffice import age, submit
from titles import services
from titles.models import Application
from titles.www.backoffice import views as backoffice

pytestmark = pytest.mark.django_db

QUEUE = reverse("backoffice:queue")
LINK = re.compile(r'href="([^"]*)"[^>]*>(Première page|Page précédente|Page suivante|Dernière page)<')


def links(page):
    return {label: html.unescape(href) for href, label in LINK.findall(page)}


def shown(page, files):
    return [a.reference for a in sorted(files, key=lambda a: page.find(a.reference)) if a.reference in page]


@pytest.fixture
def five_files(monkeypatch, procedure, cert, citizen):
    monkeypatch.setattr(backoffice, "PER_PAGE", 2)
    files = [submit(procedure, citizen) for _ in range(5)]
    for days, application in zip((50, 40, 30, 20, 10), files, strict=True):
        age(application, days)
    return files


def test_pages_show_each_file_once_oldest_first_with_the_filters_kept(five_files, verified_client, agent):
    client = verified_client(agent)
    references = [a.reference for a in five_files]
    page = client.get(QUEUE, {"age": "15"}).content.decode()
    assert "fr-pagination" in page and "4 dossiers" in page
    assert shown(page, five_files) == references[:2]
    assert "Page précédente" in page and "Page précédente" not in links(page)  # disabled on the first page
    following = links(page)["Page suivante"]
    assert "age=15" in following and "curseur=a." in following

    page = client.get(QUEUE + following).content.decode()
    assert shown(page, five_files) == references[2:4]  # the 10-day-old file is filtered out
    assert "Page suivante" not in links(page)
    back = client.get(QUEUE + links(page)["Page précédente"]).content.decode()
    assert shown(back, five_files) == references[:2]
    first = links(page)["Première page"]
    assert "curseur" not in first and "age=15" in first


def test_last_page_and_no_filter(five_files, verified_client, agent):
    client = verified_client(agent)
    page = client.get(QUEUE).content.decode()
    last = client.get(QUEUE + links(page)["Dernière page"]).content.decode()
    assert shown(last, five_files) == [five_files[3].reference, five_files[4].reference]
    assert "Dernière page" not in links(last) and "Page précédente" in links(last)


def test_a_file_filed_while_paging_shifts_nothing(five_files, verified_client, agent, procedure, citizen):
    """An OFFSET page slides when a file arrives before it; a cursor page does not."""
    client = verified_client(agent)
    page = client.get(QUEUE).content.decode()
    following = links(page)["Page suivante"]
    newcomer = submit(procedure, citizen)
    age(newcomer, 60)  # older than all: it goes on the first page, the second page keeps its files
    page = client.get(QUEUE + following).content.decode()
    assert shown(page, five_files) == [five_files[2].reference, five_files[3].reference]
    assert newcomer.reference not in page


@pytest.mark.parametrize("cursor", ["n'importe", "a.", "a.e30", "b.WyJ4Il0", "a.WyIyMDI1IiwgImRldXgiXQ", "c.AAAA"])
def test_a_bad_cursor_is_a_400_in_french_with_the_first_page(five_files, verified_client, agent, cursor):
    response = verified_client(agent).get(QUEUE, {"curseur": cursor, "age": "15"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Le lien de pagination est invalide" in page
    assert shown(page, five_files) == [five_files[0].reference, five_files[1].reference]
    assert 'value="15" selected' in page  # what the agent chose is kept


def test_paginator_walks_forward_and_back_over_equal_keys(procedure, cert, citizen):
    """Files submitted at the same instant are told apart by their pk: none lost, none twice."""
    files = [submit(procedure, citizen) for _ in range(7)]
    instant = timezone.now() - datetime.timedelta(days=3)
    Application.objects.filter(pk__in=[a.pk for a in files]).update(submitted_at=instant)
    paginator = KeysetPaginator(Application.objects.all(), keys=("submitted_at", "pk"), per_page=3)
    seen, page = [], paginator.page(None)
    while True:
        seen += [a.pk for a in page]
        if not page.has_next:
            break
        page = paginator.page(page.next_cursor)
    assert seen == sorted(a.pk for a in files)
    backwards = paginator.page(page.previous_cursor)
    assert [a.pk for a in backwards] == seen[3:6] and backwards.has_previous and backwards.has_next
    assert paginator.page(None).count == 7


def test_the_count_is_capped(procedure, cert, citizen):
    for _ in range(3):
        submit(procedure, citizen)
    page = KeysetPaginator(Application.objects.all(), keys=("submitted_at", "pk"), per_page=2, count_cap=2).page()
    assert page.count_capped and page.count == 2 and page.count_cap_display == "2"


def test_a_waiting_status_and_mine_are_paged_and_counted_alone(five_files, verified_client, agent, cert):
    """The status and « mine » filters read their own indexes (titles migration 0014): each page and the count hold
    that status's files, the agent's own among them, and nothing else."""
    colleague = verified(MembershipFactory(organisation=cert, role=Role.AGENT).user)
    for application in five_files[:2]:
        services.apply_transition(application, "take", actor=agent)
    services.apply_transition(five_files[2], "take", actor=colleague)
    client = verified_client(agent)
    references = [a.reference for a in five_files]
    for params, expected in (({"status": "in_review"}, references[:3]), ({"mine": "on"}, references[:2]),
                             ({"status": "submitted"}, references[3:])):
        page = client.get(QUEUE, params).content.decode()
        assert f"{len(expected)} dossiers" in page, params
        seen = shown(page, five_files)
        while "Page suivante" in links(page):
            page = client.get(QUEUE + links(page)["Page suivante"]).content.decode()
            seen += shown(page, five_files)
        assert seen == expected, params
