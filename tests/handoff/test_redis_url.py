import subprocess
import sys
from pathlib import Path

import pytest

from handoff.connection import rasa_redis_variables

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
