"""Rasa's command line without the warnings nobody running the bot can act on (Python 3.10, .venv-rasa):

    .venv-rasa/bin/python -m ops.rasa_cli train | run | ...   (the same arguments as `rasa`)

Rasa's validator sees only stories and rules: it calls every response a custom action sends "not used", and
the intent the web app triggers from outside "not found in the NLU training data". Rasa puts its own
warning filters first when its command line starts, so PYTHONWARNINGS cannot remove these: ours go in after.
The libraries' deprecation notices are ignored from the start, before Rasa's imports raise them.

It also takes the work Rasa repeats on every custom action call out (bot/runtime/action_calls.py): a new HTTP
session per call, the response schema checked against the meta-schema per call. And its Redis tracker and
lock stores retry a command cut by a lost connection (bot/runtime/redis_stores.py), as the web app's
clients do: a Redis failover costs a turn a few seconds' wait instead of an error and a stale lock ticket;
and a turn waiting for a conversation's lock whose holder died no longer waits for ever
(bot/runtime/ticket_lock.py). Both stores' Redis commands run off the event loop, which they stopped, and an
event's class is looked up once per type name (bot/runtime/event_types.py), the model's graph pruned once per
set of targets (bot/runtime/graph_schemas.py).
"""
from __future__ import annotations

import warnings

UNACTIONABLE = ("The utterance '", "The intent 'EXTERNAL_")


def _quiet() -> None:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    for start in UNACTIONABLE:
        warnings.filterwarnings("ignore", message=start, category=UserWarning)


def main() -> None:
    _quiet()
    import rasa.utils.common as rasa_common
    from rasa.__main__ import main as rasa_main

    rasa_filters = rasa_common._filter_warnings

    def filter_warnings(*args: object, **kwargs: object) -> None:
        rasa_filters(*args, **kwargs)  # type: ignore[arg-type]
        _quiet()

    rasa_common._filter_warnings = filter_warnings
    from bot.runtime.action_calls import check_responses_once, keep_sessions
    from bot.runtime.event_types import remember_event_types
    from bot.runtime.graph_schemas import prune_graph_schemas_once
    from bot.runtime.redis_stores import retry_redis_commands, talk_to_redis_off_the_loop
    from bot.runtime.ticket_lock import requeue_expired_waiters

    keep_sessions()
    check_responses_once()
    remember_event_types()
    prune_graph_schemas_once()
    retry_redis_commands()
    talk_to_redis_off_the_loop()
    requeue_expired_waiters()
    rasa_main()


if __name__ == "__main__":
    main()
