"""Split a REDIS_URL into the host/port/db variables Rasa's endpoints.yml reads."""
from __future__ import annotations

import shlex
import sys
from urllib.parse import urlparse


def rasa_redis_variables(url: str) -> dict[str, str]:
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss") or not parsed.hostname:
        raise ValueError(f"REDIS_URL must look like redis://host:port/db, got {url!r}")
    db = (parsed.path or "/0").lstrip("/") or "0"
    if not db.isdigit():
        raise ValueError(f"REDIS_URL database must be a number, got {db!r}")
    return {"REDIS_HOST": parsed.hostname, "REDIS_PORT": str(parsed.port or 6379), "REDIS_DB": db}


if __name__ == "__main__":
    try:
        variables = rasa_redis_variables(sys.argv[1])
    except ValueError as error:
        print(f"echo {shlex.quote(str(error))} >&2; exit 2")
        sys.exit(0)
    print(" ".join(f"{key}={shlex.quote(value)}" for key, value in variables.items()))
