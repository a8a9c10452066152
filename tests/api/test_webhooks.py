"""Webhooks: each status change of a file an organisation filed becomes one delivery per endpoint of that
organisation, written with the event and sent after commit, signed per Standard Webhooks (checked with the
library's own verifier); failures are retried with an exponential back-off, then replayed by the manager; no other
organisation's file is ever sent; addresses of private networks are refused."""

import datetime
import importlib.util
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from unittest import mock

import pytest
import requests
import time_machine
from celery.exceptions import Retry
from django.test import override_settings
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from accounts.enums import Role
from api import tasks, webhooks
from api.enums import DeliveryStatus
from api.forms import NewEndpointForm
from api.models import WebhookDelivery, WebhookEndpoint
from journal.models import Entry
from tests.api.conftest import make_mandate, make_org
from tests.conftest import verified
from tests.factories import MembershipFactory, UserFactory
from tests.titles.conftest import cert as cert  # noqa: F401 (fixture)
from tests.titles.conftest import complete_draft
from tests.titles.conftest import procedure as procedure  # noqa: F401 (fixture)
from titles import services

pytestmark = pytest.mark.django_db

WEBHOOKS = "/professionnels/cles-api/webhooks/"
NOW = datetime.datetime(2026, 11, 10, 9, 30, tzinfo=datetime.UTC)
PUBLIC_ADDRESS = ["93.184.215.14"]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def public_dns():
    """Every name resolves to a public address (no DNS in the tests); a test that needs otherwise patches again."""
    with mock.patch("api.webhooks.addresses", return_value=PUBLIC_ADDRESS):
        yield


def answer(status_code):
    return mock.Mock(status_code=status_code)


@pytest.fixture
def post():
    with mock.patch("api.webhooks.requests.post", return_value=answer(204)) as post:
        yield post


def school(name):
    org = make_org(name, kind="auto_ecole")
    verified(org.manager)
    return org


def endpoint_for(org, url="https://logiciel.ecole.example/webhooks"):
    return webhooks.create_endpoint(org.organisation, url=url, statuses=webhooks.NOTIFIED_STATUSES, by=org.manager)


def file_for(org, procedure):
    citizen = UserFactory()
    mandate = make_mandate(citizen, org.organisation, procedures=[procedure.code])
    return complete_draft(procedure, citizen, filed_by=org.manager, organisation=org.organisation, mandate=mandate)


def submit(application, actor, capture):
    with capture(execute=True):
        services.apply_transition(application, "submit", actor=actor)


def test_a_status_change_sends_one_delivery_signed_per_standard_webhooks(
    procedure, cert, post, django_capture_on_commit_callbacks
):
    org = school("École du Var")
    new = endpoint_for(org)
    assert new.secret.startswith("whsec_") and new.secret not in str(WebhookEndpoint.objects.values().get())
    application = file_for(org, procedure)
    submit(application, org.manager, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert delivery.last_status_code == 204 and delivery.delivered_at == NOW
    (url,), kwargs = post.call_args
    assert url == "https://logiciel.ecole.example/webhooks"
    assert kwargs["allow_redirects"] is False and kwargs["timeout"] == (3.0, 10.0)
    # The receiver's check, with the library's own verifier and the secret shown once.
    message = Webhook(new.secret).verify(kwargs["data"], kwargs["headers"])
    assert kwargs["headers"]["webhook-id"] == delivery.message_id
    assert message["type"] == "file.status_changed"
    assert message["data"]["reference"] == application.reference
    assert (message["data"]["previous_status"], message["data"]["status"]) == ("draft", "submitted")
    assert message["data"]["url"].endswith(f"/api/v1/files/{application.reference}/")
    # Another secret, or a body changed on the way, does not verify.
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(kwargs["data"], kwargs["headers"])
    with pytest.raises(WebhookVerificationError):
        Webhook(new.secret).verify(kwargs["data"].replace(b"submitted", b"accepted"), kwargs["headers"])


def test_the_delivery_row_is_written_with_the_event_and_sent_only_after_commit(
    procedure, cert, post, django_capture_on_commit_callbacks
):
    org = school("École du Var")
    endpoint_for(org)
    application = file_for(org, procedure)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = services.apply_transition(application, "submit", actor=org.manager)
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == outcome.event and delivery.status == DeliveryStatus.PENDING
    assert not post.called  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert post.call_count == 1


def test_no_delivery_when_the_organisation_has_no_endpoint(procedure, cert, post, django_capture_on_commit_callbacks):
    org = school("École du Var")
    application = file_for(org, procedure)
    submit(application, org.manager, django_capture_on_commit_callbacks)
    assert not WebhookDelivery.objects.exists() and not post.called


def test_a_foreign_organisations_files_are_never_sent(procedure, cert, post, django_capture_on_commit_callbacks):
    mine, theirs = school("École du Var"), school("École du Rhône")
    endpoint_for(mine, "https://mine.example/hooks")
    endpoint_for(theirs, "https://theirs.example/hooks")
    application = file_for(theirs, procedure)
    submit(application, theirs.manager, django_capture_on_commit_callbacks)
    # A citizen's own file, filed by no organisation, is sent to no one.
    citizen = UserFactory()
    own = complete_draft(procedure, citizen)
    submit(own, citizen, django_capture_on_commit_callbacks)
    assert [d.endpoint.url for d in WebhookDelivery.objects.select_related("endpoint")] == [
        "https://theirs.example/hooks"]
    assert [call.args[0] for call in post.call_args_list] == ["https://theirs.example/hooks"]


def test_a_revoked_mandate_stops_the_messages(procedure, cert, post, django_capture_on_commit_callbacks):
    org = school("École du Var")
    endpoint_for(org)
    application = file_for(org, procedure)
    submit(application, org.manager, django_capture_on_commit_callbacks)
    agent = verified(MembershipFactory(organisation=cert, role=Role.AGENT).user)
    application.mandate.revoked_at = NOW
    application.mandate.save(update_fields=["revoked_at"])
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_transition(application, "take", actor=agent)
    assert WebhookDelivery.objects.count() == 1  # the submission's only


def test_failures_are_retried_with_exponential_backoff_then_marked_failed(
    procedure, cert, django_capture_on_commit_callbacks
):
    org = school("École du Var")
    endpoint_for(org)
    application = file_for(org, procedure)
    with mock.patch("api.webhooks.requests.post", return_value=answer(500)) as post:
        submit(application, org.manager, django_capture_on_commit_callbacks)  # first try, in-process: no inline retry
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
        assert delivery.next_attempt_at == NOW + datetime.timedelta(seconds=30)
        # On a worker, the task asks Celery to retry after the back-off: 30 s, 60 s, 120 s… capped, 10 tries.
        waits = []
        with mock.patch.object(tasks.deliver_webhook, "retry", side_effect=Retry()) as retry:
            for _ in range(8):
                with pytest.raises(Retry):
                    tasks.deliver_webhook.run(delivery.pk)
                waits.append(retry.call_args.kwargs["countdown"])
            with override_settings(API_WEBHOOK_RETRY_CAP=1800):
                assert [webhooks.backoff(n) for n in (6, 7, 8)] == [960, 1800, 1800]
            assert tasks.deliver_webhook.run(delivery.pk) == DeliveryStatus.FAILED
        assert waits == [60, 120, 240, 480, 960, 1920, 3840, 7680]
        assert post.call_count == 10
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 10, None)
    # A failed delivery is not tried again by the task.
    assert webhooks.attempt(delivery.pk).status == "skipped"


def test_a_timeout_and_a_redirect_count_as_failed_tries(procedure, cert, django_capture_on_commit_callbacks):
    org = school("École du Var")
    endpoint_for(org)
    application = file_for(org, procedure)
    with mock.patch("api.webhooks.requests.post", side_effect=requests.Timeout("read timed out")):
        submit(application, org.manager, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and "Timeout" in delivery.last_error and delivery.last_status_code is None
    with mock.patch("api.webhooks.requests.post", return_value=answer(302)) as post:
        assert webhooks.attempt(delivery.pk).retry_in == 60
    assert post.call_args.kwargs["allow_redirects"] is False
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.last_status_code == 302 and "redirection" in delivery.last_error


def test_overdue_deliveries_are_sent_again_by_the_periodic_task(procedure, cert, django_capture_on_commit_callbacks):
    org = school("École du Var")
    endpoint_for(org)
    application = file_for(org, procedure)
    with mock.patch("api.webhooks.requests.post", return_value=answer(503)):
        submit(application, org.manager, django_capture_on_commit_callbacks)
    with mock.patch("api.webhooks.requests.post", return_value=answer(200)) as post:
        assert tasks.retry_due_webhooks() == 0  # due in 30 s: a worker's own retry comes first
        with time_machine.travel(NOW + datetime.timedelta(minutes=10), tick=False):
            assert tasks.retry_due_webhooks() == 1
    assert post.call_count == 1 and WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


@override_settings(API_WEBHOOK_MAX_ATTEMPTS=1)
def test_the_manager_replays_a_failed_delivery_from_the_log(
    procedure, cert, verified_client, django_capture_on_commit_callbacks
):
    org = school("École du Var")
    new = endpoint_for(org)
    application = file_for(org, procedure)
    with mock.patch("api.webhooks.requests.post", return_value=answer(500)):
        submit(application, org.manager, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    client = verified_client(org.manager)
    page = client.get(WEBHOOKS).content.decode()
    assert delivery.message_id in page and "Rejouer" in page and "500" in page and new.secret not in page
    with mock.patch("api.webhooks.requests.post", return_value=answer(200)) as post:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"{WEBHOOKS}livraisons/{delivery.pk}/rejouer/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    # The same message: same webhook-id, same body, signed anew.
    headers = post.call_args.kwargs["headers"]
    assert headers["webhook-id"] == delivery.message_id
    Webhook(new.secret).verify(post.call_args.kwargs["data"], headers)
    assert Entry.objects.filter(action="webhook.replayed", actor=org.manager).count() == 1
    # A delivered message is not replayed; another organisation's manager reaches nothing.
    assert webhooks.replay(delivery, by=org.manager) is False
    other = school("École du Rhône")
    client = verified_client(other.manager)
    assert client.post(f"{WEBHOOKS}livraisons/{delivery.pk}/rejouer/").status_code == 404
    assert delivery.message_id not in client.get(WEBHOOKS).content.decode()


def test_the_manager_registers_an_endpoint_and_sees_its_secret_once(verified_client, client):
    org = school("École du Var")
    staff = MembershipFactory(organisation=org.organisation, role=Role.STAFF).user
    browser = verified_client(org.manager)
    response = browser.post(WEBHOOKS, {"url": "https://logiciel.ecole.example/hooks",
                                       "statuses": ["submitted", "accepted"]})
    assert response.status_code == 200
    secret = response.content.decode().split('<code id="nouveau-secret">')[1].split("</code>")[0]
    endpoint = WebhookEndpoint.objects.get()
    assert secret.startswith("whsec_") and endpoint.statuses == ["submitted", "accepted"]
    assert secret not in browser.get(WEBHOOKS).content.decode()
    assert Entry.objects.filter(action="webhook.created", actor=org.manager).count() == 1
    # A collaborator is no manager; the manager needs the second factor.
    assert verified_client(staff).get(WEBHOOKS).status_code == 404
    browser.logout()
    browser.force_login(org.manager)
    assert browser.get(WEBHOOKS).status_code == 302
    # Removing the endpoint: another organisation's manager cannot.
    other = school("École du Rhône")
    assert verified_client(other.manager).post(f"{WEBHOOKS}{endpoint.pk}/supprimer/").status_code == 404
    assert verified_client(org.manager).post(f"{WEBHOOKS}{endpoint.pk}/supprimer/").status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None


@pytest.mark.parametrize("url", [
    "http://logiciel.ecole.example/hooks",
    "https://127.0.0.1/hooks",
    "https://localhost:8443/hooks",
    "https://10.1.2.3/hooks",
    "https://192.168.1.10/hooks",
    "https://169.254.169.254/latest/meta-data",
    "https://[::1]/hooks",
    "https://user:secret@logiciel.ecole.example/hooks",
])
def test_production_refuses_plain_http_and_private_addresses(url):
    with override_settings(DEBUG=False):
        form = NewEndpointForm({"url": url, "statuses": ["submitted"]})
        assert not form.is_valid() and form.errors["url"]


def test_a_name_that_resolves_to_a_private_address_is_not_called(procedure, cert, django_capture_on_commit_callbacks):
    org = school("École du Var")
    endpoint_for(org, "https://intranet.ecole.example/hooks")
    application = file_for(org, procedure)
    private = ["93.184.215.14", "10.0.0.7"]
    with (override_settings(DEBUG=False), mock.patch("api.webhooks.addresses", return_value=private),
          mock.patch("api.webhooks.requests.post") as post):
        submit(application, org.manager, django_capture_on_commit_callbacks)
    assert not post.called
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and "réseau privé" in delivery.last_error


def test_the_demo_may_use_a_local_receiver_only_with_debug():
    with override_settings(DEBUG=True):
        assert NewEndpointForm({"url": "http://127.0.0.1:8765/webhooks", "statuses": ["submitted"]}).is_valid()
    with override_settings(DEBUG=False):
        assert not NewEndpointForm({"url": "http://127.0.0.1:8765/webhooks", "statuses": ["submitted"]}).is_valid()


def load_receiver():
    path = Path(__file__).resolve().parents[2] / "docs" / "webhook_receiver.py"
    spec = importlib.util.spec_from_file_location("webhook_receiver", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@override_settings(DEBUG=True)
def test_the_documented_receiver_verifies_a_real_delivery_on_loopback(
    procedure, cert, django_capture_on_commit_callbacks, capsys
):
    receiver = load_receiver()
    org = school("École du Var")
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.make_handler(Webhook(receiver.DEMO_SECRET)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/webhooks"
        webhooks._create_endpoint(org.organisation, url=url, statuses=["submitted"], by=org.manager,
                                  secret=receiver.DEMO_SECRET)
        application = file_for(org, procedure)
        submit(application, org.manager, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.DELIVERED and delivery.last_status_code == 204
        printed = capsys.readouterr().out
        assert f"{delivery.message_id} file.status_changed {application.reference} : draft → submitted" in printed
        # A message signed with another secret is refused (400) and stays to be retried.
        WebhookEndpoint.objects.update(sealed_secret=webhooks.seal(webhooks.new_secret()))
        delivery.status, delivery.attempts = DeliveryStatus.PENDING, 0
        delivery.save()
        webhooks.attempt(delivery.pk)
        delivery.refresh_from_db()
        assert delivery.last_status_code == 400 and delivery.status == DeliveryStatus.PENDING
    finally:
        server.shutdown()
        server.server_close()
