"""The transition table's effects, the procedures' hooks, and the rule that every register write has its undo on
every way out (withdraw, reject, close) — walked over the whole registry."""

import pytest

from tests.titles.conftest import ExampleProcedure, complete_draft
from titles import effects, services
from titles.models import GeneratedDocument
from titles.procedures import Keep, Procedure, RegisterWrite
from titles.registry import registry
from titles.workflow import TRANSITIONS, Status, reachable_from


def writes_without_undo(procedure):
    """Return (write, way out, state) for each write a way out can abandon without undoing it."""
    found = []
    for write in procedure.writes:
        if write.undo is not None:
            continue
        for state in reachable_from(TRANSITIONS[write.at].target):
            for transition in TRANSITIONS.values():
                if transition.way_out and state in transition.sources:
                    found.append((write.name, transition.name, state))
    return found


@pytest.mark.parametrize("procedure", registry.all(), ids=lambda p: p.code)
def test_every_register_write_has_an_undo_on_every_way_out(procedure):
    assert writes_without_undo(procedure) == []
    for write in procedure.writes:
        assert write.at in TRANSITIONS, write
        assert callable(write.do)
        if isinstance(write.undo, Keep):
            assert len(write.undo.reason) > 40, "a kept write says why"


def test_the_walk_finds_a_write_left_without_undo():
    def stamp(application, ctx):
        pass

    class Careless(Procedure):
        writes = (RegisterWrite(at="submit", do=stamp), RegisterWrite(at="deliver", do=stamp))

    found = writes_without_undo(Careless())
    assert {(name, way_out) for name, way_out, _ in found} == {("stamp", "withdraw"), ("stamp", "reject"),
                                                                ("stamp", "close")}
    # After delivery no way out is left: a write there needs no undo.
    assert all(state != Status.DELIVERED for _, _, state in found)


def test_ways_out_are_withdraw_reject_and_close():
    assert {name for name, t in TRANSITIONS.items() if t.way_out} == {"withdraw", "reject", "close"}


def test_the_table_names_only_effects_that_exist():
    for transition in TRANSITIONS.values():
        for name in (*transition.effects, *transition.consequences):
            assert name in effects.EFFECTS, (transition.name, name)
            assert effects.EFFECTS[name] is getattr(effects, name)


def test_every_transition_has_a_procedure_hook():
    for name in TRANSITIONS:
        assert callable(getattr(Procedure, f"on_{name}", None)), name
    for procedure in registry.all():
        for name in TRANSITIONS:
            assert callable(procedure.hook(name)), (procedure.code, name)


def test_the_outcome_carries_the_file_its_event_and_documents(submitted, agent, procedure,
                                                               django_capture_on_commit_callbacks):
    services.apply_transition(submitted, "take", actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.apply_transition(submitted, "accept", actor=agent)
    assert outcome.application.status == Status.ACCEPTED and outcome.application.decided_at is not None
    assert outcome.event.kind == "accept" and outcome.event.to_status == Status.ACCEPTED
    assert [d.kind for d in outcome.documents] == ["attestation"]
    assert outcome.transition is TRANSITIONS["accept"]


class Counting(ExampleProcedure):
    """The tests' procedure with one write and its undo, counting calls."""

    code = "test-counting"
    calls = []

    @staticmethod
    def do(application, ctx):
        Counting.calls.append(("do", ctx.transition.name))

    @staticmethod
    def undo(application, ctx):
        Counting.calls.append(("undo", ctx.transition.name))


Counting.writes = (RegisterWrite(at="submit", do=Counting.do, undo=Counting.undo),)


@pytest.fixture
def counting(procedure):
    registry.register(Counting)
    Counting.calls = []
    yield registry.get(Counting.code)
    registry.unregister(Counting.code)


@pytest.mark.parametrize("way_out", ["withdraw", "reject", "close"])
def test_a_way_out_runs_the_undo_of_the_writes_made(way_out, counting, cert, agent, citizen):
    application = complete_draft(counting, citizen)
    services.apply_transition(application, "submit", actor=citizen)
    if way_out == "reject":
        services.apply_transition(application, "take", actor=agent)
    outcome = services.apply_transition(application, way_out, actor=agent if way_out == "reject" else (
        citizen if way_out == "withdraw" else None), reason="Motif de test.")
    assert Counting.calls == [("do", "submit"), ("undo", way_out)]
    assert outcome.undone == ["do"]


def test_a_way_out_revokes_the_documents_with_a_validity(submitted, citizen):
    # The récépissé (no validity) stays; a document proving a right for a time is revoked.
    GeneratedDocument.objects.create(application=submitted, kind="cpi", label="CPI", template_name="x.html",
                                     valid_until="2030-01-01")
    services.apply_transition(submitted, "withdraw", actor=citizen)
    revoked = dict(GeneratedDocument.objects.filter(application=submitted).values_list("kind", "revoked_at"))
    assert revoked["recepisse"] is None and revoked["cpi"] is not None
