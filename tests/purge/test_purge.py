"""CDN purges from the outbox, against real HTTP stand-ins on 127.0.0.1 for Varnish and
the Fastly API: what is sent, batching, retries, the schedule, and that it is off unless
configured."""

import json
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from app.config import Settings
from app.db import utcnow
from app.events.outbox import emit
from app.models import DeliveryStatus, Event, Purge
from app.purge.base import batches
from app.purge.varnish import MAX_HEADER_CHARS
from app.webhooks.worker import Worker
from tests.receiver import Answer, Receiver

TOKEN = "fastly-token-for-tests"


@pytest.fixture
def cdn():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def fastly(cdn: Receiver, **overrides) -> Worker:
    settings = {
        "purge_backend": "fastly",
        "purge_fastly_url": f"http://127.0.0.1:{cdn.port}",
        "purge_fastly_service_id": "SU1Z0isxPaozGVKXdv0eY",
        "purge_fastly_token": TOKEN,
        "webhook_retry_base_seconds": 0.0,
        **overrides,
    }
    return Worker(settings=Settings(**settings))


def varnish(*hosts: Receiver, **overrides) -> Worker:
    urls = ", ".join(f"http://127.0.0.1:{host.port}" for host in hosts)
    settings = {"purge_backend": "varnish", "purge_varnish_urls": urls, **overrides}
    return Worker(settings=Settings(**{"webhook_retry_base_seconds": 0.0, **settings}))


def change(session, *keys: str, at=None) -> str:
    """Commit one event naming `keys`, as a write would."""
    event = emit(
        session,
        "tag.updated",
        subject_type="tag",
        subject_id="tag_1",
        data={"tag": {"id": "tag_1"}, "fields": [], "surrogate_keys": list(keys)},
        at=at,
    )
    session.commit()
    return event.id


def drain(worker: Worker, rounds: int = 20) -> None:
    for _ in range(rounds):
        if not worker.run_once():
            return


def purges(session) -> list[Purge]:
    session.expire_all()
    return list(session.scalars(select(Purge).order_by(Purge.created_at)))


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_purging_is_off_unless_configured(session):
    worker = Worker(settings=Settings())
    change(session, "article:art_1")
    drain(worker)
    assert worker.purger is None
    assert purges(session) == []


def test_fastly_purges_the_events_keys_by_key(session, cdn):
    worker = fastly(cdn)
    event_id = change(session, "tag:world", "article:art_1", "articles")
    drain(worker)
    [got] = cdn.requests
    assert (got.method, got.path) == ("POST", "/service/SU1Z0isxPaozGVKXdv0eY/purge")
    assert got.headers["fastly-key"] == TOKEN
    assert "fastly-soft-purge" not in got.headers
    assert json.loads(got.body) == {"surrogate_keys": ["article:art_1", "articles", "tag:world"]}
    [purge] = purges(session)
    assert (purge.event_id, purge.status, purge.attempts) == (
        event_id,
        DeliveryStatus.succeeded,
        1,
    )


def test_soft_purges_say_so(session, cdn):
    change(session, "article:art_1")
    drain(fastly(cdn, purge_soft=True))
    assert cdn.requests[0].headers["fastly-soft-purge"] == "1"


def test_keys_of_several_events_go_together_once_each(session, cdn):
    worker = fastly(cdn)
    change(session, "articles", "article:art_1", "section:world")
    change(session, "articles", "article:art_2", "section:world")
    change(session, "articles", "article:art_1")
    drain(worker)
    [got] = cdn.requests
    assert json.loads(got.body)["surrogate_keys"] == [
        "article:art_1",
        "article:art_2",
        "articles",
        "section:world",
    ]
    assert {p.status for p in purges(session)} == {DeliveryStatus.succeeded}


def test_a_batch_of_more_than_256_keys_is_split(session, cdn):
    keys = [f"article:art_{i:04}" for i in range(300)]
    change(session, *keys[:150])
    change(session, *keys[150:])
    drain(fastly(cdn))
    sent = [json.loads(r.body)["surrogate_keys"] for r in cdn.requests]
    assert sorted(len(run) for run in sent) == [44, 256]
    assert sorted(key for run in sent for key in run) == keys


def test_a_failed_purge_is_retried_after_a_backoff(session, cdn):
    before_failed = sample("byline_purge_requests_total", backend="fastly", outcome="failed")
    before_keys = sample("byline_purge_keys_total", backend="fastly")
    cdn.answer(Answer(503, body=b"busy"))
    worker = fastly(cdn, webhook_retry_base_seconds=600.0)
    change(session, "article:art_1", "articles")
    drain(worker)
    [purge] = purges(session)
    assert purge.status == DeliveryStatus.pending
    assert purge.attempts == 1
    assert "503" in purge.last_error
    assert purge.next_attempt_at > utcnow() + timedelta(seconds=400)
    drain(worker)
    assert len(cdn.requests) == 1  # not before its time
    session.execute(update(Purge).values(next_attempt_at=utcnow()))
    session.commit()
    drain(worker)
    [purge] = purges(session)
    assert (purge.status, purge.attempts, purge.last_error) == (DeliveryStatus.succeeded, 2, None)
    assert len(cdn.requests) == 2
    assert sample("byline_purge_requests_total", backend="fastly", outcome="failed") == (
        before_failed + 1
    )
    assert sample("byline_purge_keys_total", backend="fastly") == before_keys + 2


def test_a_purge_is_given_up_after_the_last_attempt(session, cdn):
    cdn.default = Answer(401, body=b'{"msg":"Provided credentials are missing or invalid"}')
    change(session, "article:art_1")
    drain(fastly(cdn, webhook_max_attempts=3))
    [purge] = purges(session)
    assert (purge.status, purge.attempts) == (DeliveryStatus.failed, 3)
    assert purge.next_attempt_at is None
    assert len(cdn.requests) == 3


def test_varnish_gets_an_xkey_purge_on_every_host(session):
    one, two = Receiver().start(), Receiver().start()
    try:
        change(session, "section:world", "article:art_1")
        drain(varnish(one, two))
        for host in (one, two):
            [got] = host.requests
            assert (got.method, got.path) == ("PURGE", "/")
            assert got.headers["xkey-purge"] == "article:art_1 section:world"
    finally:
        one.stop()
        two.stop()


def test_varnish_soft_purges_use_their_own_header(session, cdn):
    change(session, "article:art_1")
    drain(varnish(cdn, purge_soft=True))
    [got] = cdn.requests
    assert got.headers["xkey-softpurge"] == "article:art_1"
    assert "xkey-purge" not in got.headers


def test_a_varnish_host_that_is_down_gets_the_purge_when_it_is_back(session):
    up, down = Receiver().start(), Receiver()
    try:
        worker = varnish(up, down)
        change(session, "article:art_1")
        worker.run_once()
        [purge] = purges(session)
        assert purge.status == DeliveryStatus.pending
        assert "ConnectError" in purge.last_error
        down.start()
        drain(worker)
        assert purges(session)[0].status == DeliveryStatus.succeeded
        assert [r.headers["xkey-purge"] for r in down.requests] == ["article:art_1"]
    finally:
        up.stop()
        down.stop()


def test_varnish_purge_headers_stay_within_its_header_limit():
    keys = [f"article:art_{i:030}" for i in range(600)]
    runs = list(batches(keys, max_keys=256, max_chars=MAX_HEADER_CHARS))
    assert len(runs) > 3
    assert all(len(" ".join(run)) <= MAX_HEADER_CHARS for run in runs)
    assert [key for run in runs for key in run] == keys


def test_a_scheduled_change_is_purged_at_its_time_not_at_the_save(session, cdn):
    worker = fastly(cdn)
    event_id = change(session, "article:art_1", at=utcnow() + timedelta(hours=1))
    drain(worker)
    assert cdn.requests == []
    assert purges(session) == []
    session.execute(update(Event).where(Event.id == event_id).values(occurred_at=utcnow()))
    session.commit()
    drain(worker)
    assert json.loads(cdn.requests[0].body)["surrogate_keys"] == ["article:art_1"]


def test_a_purge_leased_by_another_worker_is_left_to_it(session, cdn):
    worker = fastly(cdn)
    change(session, "article:art_1")
    worker.dispatch()
    session.execute(update(Purge).values(lease_until=utcnow() + timedelta(hours=1)))
    session.commit()
    drain(worker)
    assert cdn.requests == []
    # The other worker died: its lease runs out and the purge is taken over.
    session.execute(update(Purge).values(lease_until=utcnow() - timedelta(seconds=1)))
    session.commit()
    drain(worker)
    assert len(cdn.requests) == 1


def test_an_event_without_keys_needs_no_purge(session, cdn):
    emit(session, "tag.created", subject_type="tag", subject_id="tag_1", data={"n": 1})
    session.commit()
    drain(fastly(cdn))
    assert purges(session) == []
    assert cdn.requests == []


def test_finished_purges_are_pruned_with_their_events(session, cdn):
    worker = fastly(cdn)
    change(session, "article:art_1")
    drain(worker)
    old = utcnow() - timedelta(days=worker.settings.event_retention_days + 1)
    session.execute(update(Purge).values(completed_at=old))
    session.execute(update(Event).values(occurred_at=old))
    session.commit()
    worker.prune()
    assert purges(session) == []
