import json
import subprocess
import sys
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from handoff.connection import CONNECT_TIMEOUT_S, RETRIES, connect, rasa_redis_variables
from handoff.settings import HandoffSettings
from ops.stack import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_a_redis_url_gives_rasa_its_host_port_and_db() -> None:
    plain = {"REDIS_USERNAME": "", "REDIS_PASSWORD": "", "REDIS_USE_SSL": ""}
    assert rasa_redis_variables("redis://10.0.0.5:6390/2") == {
        "REDIS_HOST": "10.0.0.5", "REDIS_PORT": "6390", "REDIS_DB": "2", **plain}
    assert rasa_redis_variables("redis://cache") == {"REDIS_HOST": "cache", "REDIS_PORT": "6379", "REDIS_DB": "0", **plain}


def test_a_redis_url_with_credentials_gives_rasa_the_password() -> None:
    assert rasa_redis_variables("redis://:s3cr%40t@cache:6390/1")["REDIS_PASSWORD"] == "s3cr@t"


def test_a_redis_url_with_a_user_and_tls_gives_rasa_both() -> None:
    variables = rasa_redis_variables("rediss://bot%2Dapp:s3cr%40t@cache.example.com:6390/1")
    assert variables == {"REDIS_HOST": "cache.example.com", "REDIS_PORT": "6390", "REDIS_DB": "1",
                         "REDIS_USERNAME": "bot-app", "REDIS_PASSWORD": "s3cr@t", "REDIS_USE_SSL": "true"}


@pytest.mark.parametrize("url", ["http://host:6379/0", "redis://", "redis://host/abc", "redis://host:port/0"])
def test_a_bad_redis_url_is_refused_clearly(url: str) -> None:
    with pytest.raises(ValueError, match="REDIS_URL"):
        rasa_redis_variables(url)


@pytest.mark.parametrize("option", ["ssl_ca_certs=/etc/ca.pem", "ssl_cert_reqs=none", "socket_timeout=5"])
def test_what_rasas_stores_cannot_take_is_refused_by_name_without_showing_the_password(option: str) -> None:
    with pytest.raises(ValueError, match=f"REDIS_URL option {option.split('=')[0]} cannot be passed to Rasa") as refused:
        rasa_redis_variables(f"rediss://:hunter2@cache:6390/0?{option}")
    assert "hunter2" not in str(refused.value)


def test_a_refused_redis_url_is_quoted_without_its_password() -> None:
    with pytest.raises(ValueError, match="REDIS_URL") as refused:
        rasa_redis_variables("unix://:hunter2@/tmp/redis.sock")
    assert "hunter2" not in str(refused.value) and "***" in str(refused.value)


def test_the_command_run_sh_evaluates_prints_shell_assignments() -> None:
    def command(url: str) -> str:
        done = subprocess.run([sys.executable, "-m", "handoff.connection", url], cwd=REPO_ROOT,
                              capture_output=True, text=True, check=True)
        return done.stdout

    assert command("redis://10.0.0.5:6390/2").split() == ["REDIS_HOST=10.0.0.5", "REDIS_PORT=6390", "REDIS_DB=2",
                                                          "REDIS_USERNAME=''", "REDIS_PASSWORD=''", "REDIS_USE_SSL=''"]
    refused = command("http://nowhere")
    assert refused.startswith("echo ") and refused.rstrip().endswith("exit 2")
    assert "ssl_cert_reqs" in command("rediss://cache/0?ssl_cert_reqs=none")


# What Rasa 3.6 (its own virtual environment) makes of endpoints.yml: the stores' Redis clients, unconnected.
RASA_READS_ENDPOINTS = """
import json
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import AvailableEndpoints
endpoints = AvailableEndpoints.read_endpoints("endpoints.yml")
stores = {"tracker": TrackerStore.create(endpoints.tracker_store), "lock": LockStore.create(endpoints.lock_store)}
print(json.dumps({name: {"class": store.red.connection_pool.connection_class.__name__,
                         **{key: str(store.red.connection_pool.connection_kwargs.get(key))
                            for key in ("host", "port", "db", "username", "password")}}
                  for name, store in stores.items()}))
"""


@pytest.mark.parametrize(("url", "expected"), [
    ("rediss://bot:s3cr%40t@cache.example.com:6390/1",
     {"class": "SSLConnection", "host": "cache.example.com", "port": "6390", "db": "1", "username": "bot",
      "password": "s3cr@t"}),
    ("redis://:pw@127.0.0.1:6380/0",
     {"class": "Connection", "host": "127.0.0.1", "port": "6380", "db": "0", "username": "", "password": "pw"}),
])
def test_rasas_tracker_and_lock_stores_get_the_user_password_and_tls_of_the_redis_url(url: str,
                                                                                    expected: dict[str, str]) -> None:
    environment = {**rasa_redis_variables(url), "ACTIONS_TOKEN": "t", "RASA_TRACKER_RETENTION_S": "60",
                   "PATH": "/usr/bin:/bin", "HOME": str(REPO_ROOT)}
    done = subprocess.run([str(REPO_ROOT / ".venv-rasa/bin/python"), "-c", RASA_READS_ENDPOINTS], cwd=REPO_ROOT,
                          env=environment, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"tracker": expected, "lock": expected}


@pytest.mark.anyio
async def test_a_client_to_a_redis_nobody_answers_fails_after_its_retries_with_a_connect_timeout() -> None:
    client = connect(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    # An unreachable host would make each attempt wait this long, not the OS's minutes.
    assert client.connection_pool.connection_kwargs["socket_connect_timeout"] == CONNECT_TIMEOUT_S
    assert client.get_retry().get_retries() == RETRIES
    with pytest.raises(RedisConnectionError):
        await client.ping()
    await client.aclose()


@pytest.mark.anyio
async def test_the_web_apps_content_clients_connect_with_the_timeout(redis_url: str, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """rq's queue and the unanswered stream, synchronous clients, connect as the handoff's do."""
    monkeypatch.setenv("CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    monkeypatch.setenv("EDITOR_DRAFTS_PATH", str(tmp_path / "drafts"))
    from handoff.web.main import create_app

    app = create_app(HandoffSettings(redis_url=redis_url))
    async with app.router.lifespan_context(app):
        content = app.state.content_team
        for client in (content.jobs.redis, content.unanswered().redis):
            assert client.connection_pool.connection_kwargs["socket_connect_timeout"] == CONNECT_TIMEOUT_S
            assert client.get_retry().get_retries() == RETRIES
