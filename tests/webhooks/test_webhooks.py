"""Webhook subscriptions through the API (`admin`): the secret shown once, URLs checked,
event types validated, changes audited, the delivery log and redelivery."""

import ipaddress
import socket

import anyio.to_thread
import pytest
from sqlalchemy import select

from app.models import AuditEvent, WebhookDelivery
from app.webhooks import destinations
from app.webhooks.worker import Worker
from tests.factories import make_key
from tests.receiver import Receiver

pytestmark = pytest.mark.anyio


def drain(worker: Worker) -> None:
    while worker.run_once():
        pass


@pytest.fixture
def admin(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'admin')}"}


@pytest.fixture
def local(settings_env) -> None:
    """Tests and local development allow their own host by configuration."""
    settings_env(WEBHOOK_ALLOWED_HOSTS="127.0.0.1")


async def subscribe(client, admin, **body) -> dict:
    body = {"url": "http://127.0.0.1:9/hook", "events": ["article.published"], **body}
    response = await client.post("/v1/webhooks", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def test_the_secret_is_shown_once(client, admin, local):
    created = await subscribe(client, admin, description="CDN purge")
    assert created["secret"].startswith("whsec_")
    assert created["active"] is True and created["events"] == ["article.published"]
    one = await client.get(f"/v1/webhooks/{created['id']}", headers=admin)
    listed = await client.get("/v1/webhooks", headers=admin)
    assert one.status_code == 200 and "secret" not in one.json()["data"]
    assert [w["id"] for w in listed.json()["data"]] == [created["id"]]
    assert all("secret" not in w for w in listed.json()["data"])
    assert created["secret"] not in listed.text and created["secret"] not in one.text
    assert one.headers["cache-control"] == "private, no-store"


async def test_webhooks_need_the_admin_scope(client, session, local):
    writer = {"Authorization": f"Bearer {make_key(session, 'content:write')}"}
    assert (await client.get("/v1/webhooks", headers=writer)).status_code == 403
    assert (await client.get("/v1/webhooks")).status_code == 401
    body = {"url": "http://127.0.0.1:9/", "events": ["*"]}
    assert (await client.post("/v1/webhooks", json=body, headers=writer)).status_code == 403


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/hook", "http or https"),
        ("https://user:pw@example.com/hook", "credentials"),
        ("http://127.0.0.1:8000/hook", "private or local"),
        ("http://10.1.2.3/hook", "private or local"),
        ("http://169.254.169.254/latest/meta-data", "private or local"),
        ("http://[::1]/hook", "private or local"),
        ("http://[::ffff:127.0.0.1]/hook", "private or local"),
        ("http://localhost:8000/hook", "local host name"),
        ("http://LOCALHOST./hook", "local host name"),
        ("http://2130706433/hook", "private or local"),
        ("http://127.1/hook", "private or local"),
        ("http://0/hook", "private or local"),
        ("http://0x7f.0.0.1/hook", "private or local"),
        ("http://[2002:7f00:1::]/hook", "private or local"),
        ("http://[64:ff9b::a9fe:a9fe]/hook", "private or local"),
        ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook", "private or local"),
    ],
)
async def test_private_and_malformed_destinations_are_refused(client, admin, url, reason):
    response = await client.post("/v1/webhooks", json={"url": url, "events": ["*"]}, headers=admin)
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["field"] == "url"
    assert reason in problem["errors"][0]["message"]


def own_name() -> str:
    """This machine's host name, which its hosts file maps to a local address."""
    name = socket.gethostname()
    try:
        infos = socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
    except OSError:
        pytest.skip(f"{name} does not resolve here")
    if any(ipaddress.ip_address(i[4][0].split("%")[0]).is_global for i in infos):
        pytest.skip(f"{name} resolves to a public address here")
    return name


async def test_a_name_of_a_local_address_is_refused_when_subscribed(client, admin):
    url = f"http://{own_name()}:9/x"
    response = await client.post("/v1/webhooks", json={"url": url, "events": ["*"]}, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "url"
    assert "private or local address" in response.json()["errors"][0]["message"]


async def test_a_name_is_refused_on_the_addresses_it_resolves_to(client, admin, monkeypatch):
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host == "hooks.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    body = {"url": "https://hooks.example.com/x", "events": ["*"]}
    response = await client.post("/v1/webhooks", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "url", "message": "resolves to a private or local address (10.0.0.5)"}
    ]


async def test_a_name_that_does_not_resolve_is_refused(client, admin):
    # .invalid never resolves (RFC 6761).
    body = {"url": "https://hooks.byline.invalid/x", "events": ["*"]}
    response = await client.post("/v1/webhooks", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "url"
    assert "does not resolve" in response.json()["errors"][0]["message"]


async def test_changing_the_url_to_a_name_of_a_local_address_is_refused(
    client, admin, local, settings_env
):
    created = await subscribe(client, admin)
    settings_env(WEBHOOK_ALLOWED_HOSTS="")
    path = f"/v1/webhooks/{created['id']}"
    etag = (await client.get(path, headers=admin)).headers["etag"]
    moved = await client.patch(
        path, json={"url": f"http://{own_name()}:9/x"}, headers={**admin, "If-Match": etag}
    )
    assert moved.status_code == 422, moved.text
    assert moved.json()["errors"][0]["field"] == "url"
    assert (await client.get(path, headers=admin)).json()["data"]["url"] == created["url"]


@pytest.mark.parametrize(
    "allow", [{"WEBHOOK_ALLOWED_HOSTS": "127.0.0.0/8,::1"}, {"WEBHOOK_ALLOW_PRIVATE": "true"}]
)
async def test_settings_let_names_of_local_addresses_through(client, admin, settings_env, allow):
    settings_env(**allow)
    name = own_name()
    created = await subscribe(client, admin, url=f"http://{name}:9/x")
    assert created["url"] == f"http://{name}:9/x"


async def test_localhost_is_refused_unless_allowed(client, admin, settings_env):
    body = {"url": "http://localhost:9/x", "events": ["*"]}
    refused = await client.post("/v1/webhooks", json=body, headers=admin)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "url"
    settings_env(WEBHOOK_ALLOWED_HOSTS="localhost")
    assert (await client.post("/v1/webhooks", json=body, headers=admin)).status_code == 201


async def test_unknown_event_types_are_refused(client, admin, local):
    for events in (["article.exploded"], [], ["*", "article.updated"], ["tag.created"] * 2):
        response = await client.post(
            "/v1/webhooks", json={"url": "http://127.0.0.1:9/", "events": events}, headers=admin
        )
        assert response.status_code == 422, events
        assert response.json()["errors"][0]["field"].startswith("events")


async def test_update_and_delete_need_if_match_and_are_audited(client, admin, local):
    created = await client.post(
        "/v1/webhooks", json={"url": "http://127.0.0.1:9/", "events": ["*"]}, headers=admin
    )
    path = f"/v1/webhooks/{created.json()['data']['id']}"
    etag = created.headers["etag"]
    assert (await client.patch(path, json={"active": False}, headers=admin)).status_code == 428
    paused = await client.patch(path, json={"active": False}, headers={**admin, "If-Match": etag})
    assert paused.status_code == 200
    assert paused.json()["data"]["active"] is False and paused.json()["data"]["version"] == 2
    stale = await client.patch(path, json={"description": "x"}, headers={**admin, "If-Match": etag})
    assert stale.status_code == 412
    current = (await client.get(path, headers=admin)).headers["etag"]
    assert current == paused.headers["etag"]
    moved = await client.patch(
        path, json={"url": "http://10.0.0.8/"}, headers={**admin, "If-Match": current}
    )
    assert moved.status_code == 422
    assert (await client.delete(path, headers=admin)).status_code == 428
    gone = await client.delete(path, headers={**admin, "If-Match": current})
    assert gone.status_code == 204
    assert (await client.get(path, headers=admin)).status_code == 404
    audit = await client.get("/v1/audit?resource_type=webhook", headers=admin)
    actions = {a["action"] for a in audit.json()["data"]}
    assert {"webhook.create", "webhook.update", "webhook.delete"} <= actions


def test_names_are_checked_again_on_the_addresses_they_resolve_to(monkeypatch):
    import asyncio
    import socket

    def resolver(host, port, *args, **kwargs):
        address = {"hooks.example.com": "10.0.0.5", "public.example.com": "93.184.216.34"}[host]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    policy = destinations.Policy()
    assert destinations.check_url("https://hooks.example.com/x", policy) is None
    with pytest.raises(destinations.Refused, match="resolves to a private"):
        asyncio.run(destinations.resolve("https://hooks.example.com/x", policy))
    target = asyncio.run(destinations.resolve("https://public.example.com:8443/x?a=1", policy))
    # The attempt connects to the address it checked, and names the host for TLS and HTTP.
    assert target.url == "https://93.184.216.34:8443/x?a=1"
    assert target.host_header == "public.example.com:8443"
    assert target.extensions == {"sni_hostname": "public.example.com"}


def test_policy_allows_listed_hosts_and_networks():
    from app.config import Settings

    policy = destinations.Policy.of(Settings(webhook_allowed_hosts="hooks.internal, 10.0.0.0/8"))
    assert destinations.check_url("http://hooks.internal/x", policy) is None
    assert destinations.check_url("http://10.9.9.9/x", policy) is None
    assert destinations.check_url("http://192.168.1.1/x", policy) is not None
    assert destinations.check_url("https://93.184.216.34/x", destinations.Policy()) is None
    open_policy = destinations.Policy(allow_private=True)
    assert destinations.check_url("http://localhost/x", open_policy) is None


async def test_delivery_log_and_redelivery(client, session, admin, local, settings_env):
    receiver = Receiver().start()
    try:
        created = await subscribe(client, admin, url=receiver.url, events=["feed_entry.created"])
        writer = {"Authorization": f"Bearer {make_key(session, 'content:write')}"}
        entry = await client.post("/v1/feed", json={"title": "Live"}, headers=writer)
        assert entry.status_code == 201
        settings_env(WEBHOOK_ALLOWED_HOSTS="127.0.0.1")
        worker = Worker()
        await anyio.to_thread.run_sync(drain, worker)
        path = f"/v1/webhooks/{created['id']}/deliveries"
        listed = (await client.get(path, headers=admin)).json()["data"]
        assert len(listed) == 1
        delivery = listed[0]
        assert delivery["status"] == "succeeded" and delivery["event_type"] == "feed_entry.created"
        assert delivery["log"][0]["status_code"] == 200
        assert delivery["log"][0]["response_excerpt"] == "ok"
        assert delivery["log"][0]["duration_ms"] >= 0

        again = await client.post(f"{path}/{delivery['id']}/redeliver", headers=admin)
        assert again.status_code == 202 and again.json()["data"]["status"] == "pending"
        await anyio.to_thread.run_sync(drain, worker)
        one = (await client.get(f"{path}/{delivery['id']}", headers=admin)).json()["data"]
        assert one["attempts"] == 2 and [a["number"] for a in one["log"]] == [1, 2]
        # The same message twice: same webhook-id, so the receiver can drop the repeat.
        assert receiver.ids()[0] == receiver.ids()[1] == delivery["event_id"]
        filtered = await client.get(f"{path}?status=failed", headers=admin)
        assert filtered.json()["data"] == []
        missing = await client.post(f"{path}/dlv_nope/redeliver", headers=admin)
        assert missing.status_code == 404
    finally:
        receiver.stop()


async def test_deleting_a_webhook_takes_its_deliveries(client, session, admin, local):
    created = await subscribe(client, admin, events=["*"])
    writer = {"Authorization": f"Bearer {make_key(session, 'content:write')}"}
    await client.post("/v1/tags", json={"name": "Drones"}, headers=writer)
    Worker().dispatch()
    assert session.scalars(select(WebhookDelivery)).all()
    gone = await client.delete(f"/v1/webhooks/{created['id']}", headers={**admin, "If-Match": "*"})
    assert gone.status_code == 204
    session.expire_all()
    assert session.scalars(select(WebhookDelivery)).all() == []
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "webhook.delete")).first()


async def test_a_rotated_secret_signs_beside_the_new_one_until_it_expires(
    client, session, admin, local, settings_env
):
    from standardwebhooks import Webhook as Verifier

    receiver = Receiver().start()
    try:
        created = await subscribe(client, admin, url=receiver.url, events=["tag.created"])
        old = created["secret"]
        rotated = await client.post(f"/v1/webhooks/{created['id']}/rotate-secret", headers=admin)
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["data"]["secret"]
        assert new != old and rotated.json()["data"]["previous_secret_expires_at"]
        again = await client.get(f"/v1/webhooks/{created['id']}", headers=admin)
        assert new not in again.text and old not in again.text
        writer = {"Authorization": f"Bearer {make_key(session, 'content:write')}"}
        await client.post("/v1/tags", json={"name": "Rotation"}, headers=writer)
        worker = Worker()
        await anyio.to_thread.run_sync(drain, worker)
        got = receiver.requests[-1]
        assert len(got.headers["webhook-signature"].split(" ")) == 2
        for secret in (old, new):  # a receiver on either secret accepts it
            Verifier(secret).verify(got.body, got.headers)

        # Rotating with no overlap: the old secret stops signing at once.
        final = await client.post(
            f"/v1/webhooks/{created['id']}/rotate-secret",
            json={"expires_in": 0},
            headers=admin,
        )
        latest = final.json()["data"]["secret"]
        await client.post("/v1/tags", json={"name": "Rotation two"}, headers=writer)
        await anyio.to_thread.run_sync(drain, worker)
        got = receiver.requests[-1]
        assert len(got.headers["webhook-signature"].split(" ")) == 1
        Verifier(latest).verify(got.body, got.headers)
        with pytest.raises(Exception, match="signature"):
            Verifier(new).verify(got.body, got.headers)
    finally:
        receiver.stop()
