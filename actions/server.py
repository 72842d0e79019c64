"""The action server: rasa-sdk's app (the actions' /webhook, /health, /actions) plus
POST /suggestions, the answers suggested to advisors, from the same knowledge base.

    python -m actions.server --actions actions --port 5055

It takes rasa-sdk's command-line flags (`python -m rasa_sdk --help`), except --grpc.
"""
from __future__ import annotations

import ctypes
import hmac
import json
import logging
import os
import warnings
from collections.abc import Callable
from functools import partial

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME, DEFAULT_ENDPOINTS_PATH
from rasa_sdk.endpoint import create_app_for_serve, create_argument_parser, create_ssl_config
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.worker.loader import AppLoader
import sklearn
from threadpoolctl import threadpool_limits

from actions.collaborators import knowledge_service
from actions.suggestions import suggest_for_conversation
from handoff.insights import metrics
from knowledge.answering.service import KnowledgeService
from knowledge.contract import SUGGESTIONS_PATH

logger = logging.getLogger(__name__)

# Earlier customer messages looked at for a topic: each costs an embedding.
EARLIER_LIMIT = 20


def add_suggestions(app: Sanic, service: Callable[[], KnowledgeService] = knowledge_service) -> None:
    """POST {"text": ..., "lang": "en" | "fr" | null, "earlier": [...]} -> {"suggestions": [...]}, best first.

    `earlier`: the customer's messages before `text`, newest first, for when `text` has no topic
    ("I want to speak to a human"); see actions/suggestions.py."""

    async def suggestions(request: Request) -> HTTPResponse:
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            body = None
        earlier = body.get("earlier", []) if isinstance(body, dict) else None
        if (not isinstance(body, dict) or not isinstance(body.get("text"), str)
                or not isinstance(earlier, list) or not all(isinstance(text, str) for text in earlier)):
            return response.json(
                {"error": 'expected {"text": string, "lang": string or null, "earlier": [string]}'}, status=400)
        engine = service().engine()
        lang = engine.language_of(body["text"], hint=body.get("lang") or None)
        return response.json({"suggestions": suggest_for_conversation(engine, [body["text"], *earlier[:EARLIER_LIMIT]], lang)})

    app.add_route(suggestions, SUGGESTIONS_PATH, methods=["POST"], name="suggestions")


# The shared secret Rasa (endpoints.yml: action_endpoint.token) and the web app send as ?token=.
TOKEN_ENV = "ACTIONS_TOKEN"
# Paths a health check may call without it.
OPEN_PATHS = frozenset({"/health"})


def add_metrics(app: Sanic) -> None:
    """GET /metrics: this process's metrics in Prometheus text format (chat_decision_seconds among them).
    Behind ACTIONS_TOKEN like every other path (a scraper passes ?token=)."""

    async def prometheus_metrics(request: Request) -> HTTPResponse:
        return response.raw(metrics.exposition(), content_type=metrics.CONTENT_TYPE)

    app.add_route(prometheus_metrics, "/metrics", methods=["GET"], name="metrics")


def require_token(app: Sanic, token: str) -> None:
    """Every call but the health check must carry the token: nobody else may run an action (file a
    ticket for another customer's conversation) or read suggestions."""

    @app.on_request
    async def check_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.args.get("token") or ""
        if hmac.compare_digest(given.encode(), token.encode()):
            return None
        return response.json({"error": "missing or wrong token"}, status=401)


def create_app(
    actions_package: str, cors_origins: str | list[str] | None = "*", auto_reload: bool = False,
    endpoints: str = DEFAULT_ENDPOINTS_PATH, service: Callable[[], KnowledgeService] = knowledge_service,
    token: str | None = None,
) -> Sanic:
    """Built in each Sanic worker process (AppLoader), as rasa-sdk builds its own. `token`: the
    secret every call must carry (default: the ACTIONS_TOKEN environment variable; none if unset)."""
    return_large_blocks()
    # One BLAS thread: a question's products are small (one row against ~1,500), and OpenBLAS's threads,
    # waiting for cores that Rasa and the web app hold, made the kernel classifier 20-40x slower (py-spy
    # under `make bench`: a third of the action server's time).
    threadpool_limits(1, user_api="blas")
    # scikit-learn checks every call's parameters and input (finite numbers, dataframe or not): for one
    # question's vectorising and scoring, 30 % of `decide`'s time (13.1 -> 9.1 ms a question on the sample
    # help centre, the same decisions). The inputs are the engine's own, built a few lines earlier.
    sklearn.set_config(assume_finite=True, skip_parameter_validation=True)
    # rasa-sdk 3.21 with Rasa 3.6 is this project's choice (two Pythons, README): nothing for a user to act on.
    warnings.filterwarnings("ignore", message="Your versions of rasa and rasa_sdk might not be compatible")
    executor = ActionExecutor()
    executor.register_package(actions_package)
    app = create_app_for_serve(executor, cors_origins=cors_origins, auto_reload=auto_reload, endpoints=endpoints)
    add_suggestions(app, service)
    add_metrics(app)
    token = token if token is not None else os.environ.get(TOKEN_ENV) or None
    if token:
        require_token(app, token)
    return app


# glibc's mallopt parameter, and the size from which blocks get pages of their own (glibc's initial default).
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024


def return_large_blocks() -> bool:
    """Large blocks go back to the system when freed. Once one is freed glibc raises that threshold and serves
    later ones from its heap, which it keeps: building the knowledge base's classifiers left the action server
    about 60 MB larger, and a higher peak (measured with `make bench`). False where there is no glibc."""
    try:
        return bool(ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):
        return False


def main(argv: list[str] | None = None) -> None:
    parser = create_argument_parser()
    args = parser.parse_args(argv)
    if args.grpc:
        parser.error("--grpc is not supported: /suggestions is served over HTTP")
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file
    )
    utils.update_sanic_log_level()
    loader = AppLoader(factory=partial(create_app, args.actions_module or args.actions, args.cors, args.auto_reload,
                                       args.endpoints))
    app = loader.load()
    # Only Rasa calls the action server: on this host unless a deployment says otherwise.
    host = os.environ.get("SANIC_HOST", "127.0.0.1")
    workers = utils.number_of_sanic_workers()
    app.prepare(host=host, port=args.port, ssl=create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password),
                workers=workers, single_process=workers == 1)
    logger.info("action server with %s on port %s", SUGGESTIONS_PATH, args.port)
    if workers == 1:
        # One process, no worker manager: on Ctrl-C (honcho's SIGTERM to the whole process group) the manager's
        # state process died first and the manager's next call to it raised BrokenPipeError.
        Sanic.serve_single(primary=app)
    else:
        Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
