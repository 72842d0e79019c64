import pytest

from handoff.redis_url import rasa_redis_variables


def test_a_redis_url_gives_rasa_its_host_port_and_db() -> None:
    assert rasa_redis_variables("redis://10.0.0.5:6390/2") == {"REDIS_HOST": "10.0.0.5", "REDIS_PORT": "6390", "REDIS_DB": "2"}
    assert rasa_redis_variables("redis://cache") == {"REDIS_HOST": "cache", "REDIS_PORT": "6379", "REDIS_DB": "0"}


@pytest.mark.parametrize("url", ["http://host:6379/0", "redis://", "redis://host/abc"])
def test_a_bad_redis_url_is_refused_clearly(url: str) -> None:
    with pytest.raises(ValueError, match="REDIS_URL"):
        rasa_redis_variables(url)
