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
    assert rasa_redis_variables("redis://10.0.0.5:6390/2") == {
        "REDIS_HOST": "10.0.0.5", "REDIS_PORT": "6390", "REDIS_DB": "2", "REDIS_PASSWORD": ""}
    assert rasa_redis_variables("redis://cache") == {"REDIS_HOST": "cache", "REDIS_PORT": "6379", "REDIS_DB": "0",
                                                     "REDIS_PASSWORD": ""}


def test_a_redis_url_with_credentials_gives_rasa_the_password() -> None:
    assert rasa_redis_variables("redis://:s3cr%40t@cache:6390/1")["REDIS_PASSWORD"] == "s3cr@t"


@pytest.mark.parametrize("url", ["http://host:6379/0", "redis://", "redis://host/abc"])
def test_a_bad_redis_url_is_refused_clearly(url: str) -> None:
    with pytest.raises(ValueError, match="REDIS_URL"):
        rasa_redis_variables(url)


def test_the_command_run_sh_evaluates_prints_shell_assignments() -> None:
    def command(url: str) -> str:
        done = subprocess.run([sys.executable, "-m", "handoff.connection", url], cwd=REPO_ROOT,
                              capture_output=True, text=True, check=True)
        return done.stdout

    assert command("redis://10.0.0.5:6390/2").split() == ["REDIS_HOST=10.0.0.5", "REDIS_PORT=6390", "REDIS_DB=2",
                                                          "REDIS_PASSWORD=''"]
    refused = command("http://nowhere")
    assert refused.startswith("echo ") and refused.rstrip().endswith("exit 2")


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
