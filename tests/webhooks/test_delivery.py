"""The delivery worker against a real HTTP receiver on 127.0.0.1: signatures, retries,
outages, redirects, time-outs, the schedule, killed workers and concurrent workers."""

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta

import anyio.to_thread
import pytest
from sqlalchemy import select, update
from standardwebhooks import Webhook as Verifier

from app.config import Settings
from app.db import utcnow
from app.events.outbox import emit
from app.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from app.webhooks.worker import Worker, backoff
from tests.factories import make_key, make_webhook
from tests.receiver import Answer, Receiver
from tests.servers import BYLINE, checked_client, running_server

LOCAL = {"webhook_allowed_hosts": "127.0.0.1", "webhook_retry_base_seconds": 0.0}


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def make_worker():
    def make(**overrides) -> Worker:
        return Worker(settings=Settings(**{**LOCAL, **overrides}))

    return make


def drain(worker: Worker, rounds: int = 50) -> None:
    """Run rounds until one finds nothing due."""
    for _ in range(rounds):
        if not worker.run_once():
            return


def happen(session, count: int = 1, type_: str = "tag.created") -> list[str]:
    """Commit `count` events, as a write would."""
    ids = [
        emit(session, type_, subject_type="tag", subject_id=f"tag_{i}", data={"n": i}).id
        for i in range(count)
    ]
    session.commit()
    return ids


def deliveries(session) -> list[WebhookDelivery]:
    session.expire_all()
    return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)))


def attempts(session, delivery_id: str) -> list[WebhookAttempt]:
    return list(
        session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.number)
        )
    )


def test_delivery_is_signed_per_standard_webhooks(session, receiver, make_worker):
    _, secret = make_webhook(session, receiver.url)
    [event_id] = happen(session)
    drain(make_worker())
    [got] = receiver.requests
    assert got.path == "/hooks/byline"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"] == event_id
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 30
    # The reference library accepts it...
    payload = Verifier(secret).verify(got.body, got.headers)
    assert payload["id"] == event_id and payload["type"] == "tag.created"
    assert payload["data"] == {"n": 0}
    # ...and so does the scheme computed by hand.
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{event_id}.{got.headers['webhook-timestamp']}.".encode() + got.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert got.headers["webhook-signature"] == f"v1,{expected}"
    [delivery] = deliveries(session)
    assert delivery.status == DeliveryStatus.succeeded and delivery.attempts == 1


def test_a_tampered_body_fails_verification(session, receiver, make_worker):
    _, secret = make_webhook(session, receiver.url)
    happen(session)
    drain(make_worker())
    got = receiver.requests[0]
    with pytest.raises(Exception, match="signature"):
        Verifier(secret).verify(got.body.replace(b'"n":0', b'"n":1'), got.headers)


def test_retries_after_500s_until_it_is_taken(session, receiver, make_worker):
    make_webhook(session, receiver.url)
    receiver.answer(Answer(500, body=b"boom"), Answer(503))
    [event_id] = happen(session)
    drain(make_worker())
    [delivery] = deliveries(session)
    assert delivery.status == DeliveryStatus.succeeded
    log = attempts(session, delivery.id)
    assert [a.status_code for a in log] == [500, 503, 200]
    assert log[0].response_excerpt == "boom"
    # Every retry is the same message: same id, same bytes.
    assert receiver.ids() == [event_id] * 3
    assert len({r.body for r in receiver.requests}) == 1


def test_gives_up_after_the_last_attempt(session, receiver, make_worker):
    make_webhook(session, receiver.url)
    receiver.default = Answer(500)
    happen(session)
    drain(make_worker(webhook_max_attempts=4))
    [delivery] = deliveries(session)
    assert delivery.status == DeliveryStatus.failed
    assert delivery.attempts == 4 and delivery.next_attempt_at is None
    assert delivery.completed_at is not None
    assert len(receiver.requests) == 4


def test_backoff_grows_fourfold_with_jitter_over_hours():
    import random

    settings = Settings()
    rng = random.Random(7)
    waits = [backoff(n, settings, rng=rng) for n in range(1, settings.webhook_max_attempts)]
    for n, wait in enumerate(waits, start=1):
        plain = min(5 * 4 ** (n - 1), settings.webhook_retry_max_seconds)
        assert 0.8 * plain <= wait <= 1.2 * plain
    assert waits[0] < 10 and waits[3] > 200
    # The default schedule keeps trying for the better part of a day.
    assert sum(waits) > 12 * 3600


def test_a_receiver_down_for_long_gets_every_event_once_it_is_back(session, receiver, make_worker):
    make_webhook(session, receiver.url)
    receiver.stop()
    ids = happen(session, 5)
    worker = make_worker(webhook_retry_base_seconds=5.0)
    # An hour of retries into a closed port: each attempt refused, each delivery waiting.
    for _ in range(4):
        drain(worker)
        session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))
        session.commit()
    drain(worker)
    waiting = deliveries(session)
    assert {d.status for d in waiting} == {DeliveryStatus.pending}
    assert {d.attempts for d in waiting} == {5}
    assert all(d.next_attempt_at > utcnow() for d in waiting)
    assert "ConnectError" in (waiting[0].last_error or "")

    receiver.start()
    # The first retry that comes due finds it back; the rest of the backlog follows at once
    # instead of waiting out its own backoff.
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == waiting[0].id)
        .values(next_attempt_at=utcnow())
    )
    session.commit()
    drain(worker)
    assert sorted(receiver.ids()) == sorted(ids)
    assert {d.status for d in deliveries(session)} == {DeliveryStatus.succeeded}


def test_redirects_are_not_followed(session, receiver, make_worker):
    make_webhook(session, receiver.url)
    elsewhere = f"http://127.0.0.1:{receiver.port}/elsewhere"
    receiver.answer(Answer(302, headers={"location": elsewhere}))
    happen(session)
    worker = make_worker(webhook_retry_base_seconds=60.0)
    drain(worker)
    assert [r.path for r in receiver.requests] == ["/hooks/byline"]
    [delivery] = deliveries(session)
    assert delivery.status == DeliveryStatus.pending and delivery.last_status_code == 302
    assert delivery.last_error == "redirects are not followed"


def test_a_slow_receiver_times_out_quickly(session, receiver, make_worker):
    make_webhook(session, receiver.url)
    receiver.answer(Answer(200, delay=2.0))
    happen(session)
    worker = make_worker(webhook_timeout_seconds=0.3, webhook_retry_base_seconds=60.0)
    drain(worker)
    [delivery] = deliveries(session)
    [attempt] = attempts(session, delivery.id)
    assert attempt.status_code is None and "timed out" in attempt.error
    assert attempt.duration_ms < 1500
    assert delivery.status == DeliveryStatus.pending


def test_only_an_excerpt_of_the_answer_is_kept(session, receiver, make_worker):
    make_webhook(session, receiver.url)
    receiver.answer(Answer(200, body=b"x" * 200_000))
    happen(session)
    drain(make_worker())
    [delivery] = deliveries(session)
    [attempt] = attempts(session, delivery.id)
    assert attempt.response_excerpt == "x" * 500


def test_private_destinations_are_refused_when_sending(session, receiver, make_worker):
    make_webhook(session, receiver.url)
    happen(session)
    drain(make_worker(webhook_allowed_hosts="", webhook_retry_base_seconds=60.0))
    assert receiver.requests == []
    [delivery] = deliveries(session)
    assert delivery.last_error.startswith("refused:") and delivery.last_status_code is None


def test_a_paused_webhook_gets_nothing(session, receiver, make_worker):
    make_webhook(session, receiver.url, active=False)
    happen(session)
    drain(make_worker())
    assert receiver.requests == [] and deliveries(session) == []


def test_a_new_subscriber_gets_no_event_from_before_it(session, receiver, make_worker):
    happen(session)  # not yet dispatched when the webhook is created
    make_webhook(session, receiver.url)
    [later] = happen(session)
    drain(make_worker())
    assert receiver.ids() == [later]


def test_a_trickling_answer_is_cut_off_at_the_deadline(session, receiver, make_worker):
    make_webhook(session, receiver.url)
    receiver.answer(Answer(200, body=b"x" * 50, trickle=0.1))
    happen(session)
    drain(make_worker(webhook_timeout_seconds=0.5))
    [delivery] = deliveries(session)
    [attempt] = attempts(session, delivery.id)
    # The status came in time: delivered. Of the answer, only what came by the deadline.
    assert delivery.status == DeliveryStatus.succeeded
    assert attempt.duration_ms < 1500
    assert len(attempt.response_excerpt or "") < 50


def test_a_bad_destination_fails_alone(session, receiver, make_worker):
    make_webhook(session, f"http://b\u00fccher-{'x' * 40}.invalid/hook")
    make_webhook(session, f"http://{'a' * 60}.{'b' * 60}.invalid/hook")
    good, _ = make_webhook(session, receiver.url)
    happen(session)
    drain(make_worker(webhook_retry_base_seconds=60.0))
    done = {d.webhook_id: d for d in deliveries(session)}
    assert done[good.id].status == DeliveryStatus.succeeded
    bad = [d for w, d in done.items() if w != good.id]
    assert len(bad) == 2
    assert all(d.attempts == 1 and d.last_error.startswith("refused:") for d in bad)
    assert all(len(d.last_error) <= 500 for d in bad)


def test_only_subscribed_event_types_are_sent(session, receiver, make_worker):
    make_webhook(session, receiver.url, events=["feed_entry.created"])
    happen(session, 1, "tag.created")
    [wanted] = happen(session, 1, "feed_entry.created")
    drain(make_worker())
    assert receiver.ids() == [wanted]


@pytest.mark.anyio
async def test_a_scheduled_story_is_announced_at_its_time_without_a_request(
    client, session, receiver, make_worker
):
    make_webhook(session, receiver.url, events=["article.published"])
    editor = {"Authorization": f"Bearer {make_key(session, 'content:write', 'content:preview')}"}
    created = await client.post("/v1/articles", json={"headline": "At ten"}, headers=editor)
    article = created.json()["data"]
    at = utcnow() + timedelta(seconds=1.5)
    scheduled = await client.post(
        f"/v1/articles/{article['id']}/schedule",
        json={"publish_at": at.isoformat()},
        headers=editor,
    )
    assert scheduled.status_code == 200
    worker = make_worker()
    # The worker runs on a thread of its own, as in `byline serve`, not in this test's loop.
    await anyio.to_thread.run_sync(drain, worker)
    assert receiver.requests == []  # not before its time
    time.sleep(max(0.0, (at - utcnow()).total_seconds()) + 0.1)
    await anyio.to_thread.run_sync(drain, worker)
    [got] = receiver.requests
    assert got.at >= at.timestamp()
    payload = json.loads(got.body)
    assert payload["type"] == "article.published"
    assert payload["data"]["article"]["status"] == "published"
    assert f"article:{article['id']}" in payload["data"]["surrogate_keys"]


# Real processes: `byline serve` with its worker thread, `byline worker` killed and doubled.


def test_serve_delivers_a_signed_event_within_seconds(session, receiver):
    admin = make_key(session, "admin", "content:write")
    env = {"WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "WEBHOOK_POLL_SECONDS": "0.2"}
    with running_server(**env) as base, checked_client() as http:
        auth = {"Authorization": f"Bearer {admin}"}
        hook = http.post(
            f"{base}/v1/webhooks",
            json={"url": receiver.url, "events": ["article.published"]},
            headers=auth,
        ).json()["data"]
        created = http.post(f"{base}/v1/articles", json={"headline": "Now"}, headers=auth)
        article_id = created.json()["data"]["id"]
        published = http.post(f"{base}/v1/articles/{article_id}/publish", json={}, headers=auth)
        assert published.status_code == 200
        # Within seconds on a quiet machine; the bound is generous for a busy one.
        assert receiver.wait_for(lambda r: len(r.requests) == 1)
    got = receiver.requests[0]
    payload = Verifier(hook["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "article.published"
    assert payload["data"]["article"]["id"] == article_id


def _worker_process(**env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*BYLINE, "worker"],
        env={**os.environ, "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_all_succeeded(session, count: int, timeout: float = 60) -> list[WebhookDelivery]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [d for d in deliveries(session) if d.status == DeliveryStatus.succeeded]
        if len(done) == count:
            return done
        time.sleep(0.2)
    raise AssertionError(f"{len(done)} of {count} deliveries succeeded in time")


def test_a_worker_killed_mid_batch_loses_nothing(session, receiver):
    make_webhook(session, receiver.url)
    ids = happen(session, 20)
    receiver.default = Answer(200, delay=0.3)
    # A lease is never shorter than a batch's worst case: two rounds of 1 s attempts, and
    # 5 s; the dead worker's deliveries are taken again after 7 s.
    env = {
        "WEBHOOK_BATCH": "4",
        "WEBHOOK_CONCURRENCY": "2",
        "WEBHOOK_TIMEOUT_SECONDS": "1",
        "WEBHOOK_LEASE_SECONDS": "1",
        "WEBHOOK_POLL_SECONDS": "0.1",
    }
    first = _worker_process(**env)
    try:
        assert receiver.wait_for(lambda r: len(r.requests) >= 3)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    done_before = sum(d.status == DeliveryStatus.succeeded for d in deliveries(session))
    assert done_before < 20  # it really died in the middle
    second = _worker_process(**env)
    try:
        _wait_all_succeeded(session, 20)
    finally:
        second.terminate()
        second.wait(timeout=20)
    assert set(receiver.ids()) == set(ids)
    # At least once: only what the dead worker had in flight may come twice.
    assert len(receiver.ids()) - len(ids) <= 4


def test_two_workers_never_send_the_same_attempt(session, receiver):
    make_webhook(session, receiver.url)
    ids = happen(session, 40)
    receiver.default = Answer(200, delay=0.05)
    env = {"WEBHOOK_BATCH": "5", "WEBHOOK_CONCURRENCY": "4", "WEBHOOK_POLL_SECONDS": "0.05"}
    workers = [_worker_process(**env), _worker_process(**env)]
    try:
        _wait_all_succeeded(session, 40)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=20)
    counts = Counter(receiver.ids())
    assert set(counts) == set(ids)
    assert max(counts.values()) == 1
    assert all(d.attempts == 1 for d in deliveries(session))
