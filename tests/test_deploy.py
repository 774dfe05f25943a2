"""deploy/ matches the topology tests/test_topology.py runs: the compose file starts the
same commands with the same variables, Varnish's backends are its hosts, the systemd
example reads the same settings, and the image keeps its data on a volume and reports
ready on /readyz. (No Docker engine runs in the tests: the files are read, not started.)"""

import re
from pathlib import Path

import yaml

from app.config import Settings
from tests.stack import COMMANDS, TEST_ONLY, stack_env

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
STACK = set(stack_env(database_url="", redis_url="", proxy="", s3="")) - TEST_ONLY


def _known(name: str) -> bool:
    return name.lower() in Settings.model_fields or name.startswith("AWS_")


def test_compose_runs_the_topologys_pieces_with_its_commands():
    assert {"postgres", "redis", "varnish", "migrate", "byline-1", "byline-2", "worker"} <= set(
        SERVICES
    )
    for name, role in (("migrate", "migrate"), ("byline-1", "host"), ("byline-2", "host")):
        assert SERVICES[name]["command"] == ["byline", *COMMANDS[role]]
    assert SERVICES["worker"]["command"] == ["byline", *COMMANDS["worker"]]


def test_compose_gives_every_byline_process_the_topologys_variables():
    for name in ("migrate", "byline-1", "byline-2", "worker"):
        env = SERVICES[name]["environment"]
        assert set(env) >= STACK, STACK - set(env)
        assert all(_known(k) for k in env), [k for k in env if not _known(k)]
        assert env["EVENTS_WORKER"] == "false" and env["MEDIA_BACKEND"] == "s3"
    # Each host a working folder of its own, as in the test.
    assert SERVICES["byline-1"]["volumes"] != SERVICES["byline-2"]["volumes"]


def test_varnish_backends_are_the_compose_hosts_checked_on_readyz():
    backends = (DEPLOY / "varnish" / "backends.vcl").read_text()
    assert re.findall(r'\.host = "([^"]+)";', backends) == ["byline-1", "byline-2"]
    assert '.url = "/readyz";' in backends
    assert "./varnish:/etc/varnish:ro" in SERVICES["varnish"]["volumes"]
    assert SERVICES["worker"]["environment"]["PURGE_VARNISH_URLS"] == "http://varnish:80"


def test_the_systemd_example_reads_the_same_settings():
    lines = (DEPLOY / "systemd" / "byline.env").read_text().splitlines()
    names = {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}
    assert names >= STACK, STACK - names
    assert all(_known(n) or n in {"HOST", "PORT"} for n in names)
    for unit, command in (("byline.service", "serve"), ("byline-worker.service", "worker")):
        text = (DEPLOY / "systemd" / unit).read_text()
        assert re.search(rf"^ExecStart=\S+/byline {command}$", text, re.M)
        assert "EnvironmentFile=/etc/byline/byline.env" in text


def test_the_image_keeps_its_data_on_a_volume_and_checks_readyz():
    dockerfile = (DEPLOY.parent / "Dockerfile").read_text()
    assert 'VOLUME ["/data"]' in dockerfile
    assert "/readyz" in dockerfile and "/healthz" not in dockerfile
    assert "[server,s3]" in dockerfile
