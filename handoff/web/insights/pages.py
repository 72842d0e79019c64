"""The steering pages: the dashboard `/insights` (supervisor role) and the answer review `/review`
(reviewer role), served like the console and the editor (framed by nobody, the strict CSP), and
who is logged in on them.

The pages log in through `POST /api/agent/login` as the other staff pages do; a supervisor or a
reviewer need not be an advisor, so the account and the log-out here ask for a session, not a role.
The figures and reviews themselves come from the insights API (summary_api, review_api)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response

from handoff.web.dependencies import CurrentStaff, end_session
from handoff.web.errors import declared
from handoff.web.page_policies import static_page, unframed_page_headers
from handoff.web.same_origin import same_origin_changes

STATIC = Path(__file__).resolve().parent.parent / "static"
PAGES = {"/insights": "insights.html", "/review": "review.html"}

# The account routes: a change (log out) from another site is refused, as on the agent and editor APIs.
staff = APIRouter(prefix="/api/staff", tags=["staff"], dependencies=[Depends(same_origin_changes)],
                  responses=declared(403))


@staff.get("/me", responses=declared(401))
async def me(agent: CurrentStaff) -> dict[str, Any]:
    """The account behind the session, with its roles: the pages show what it may do."""
    return {**agent.public(), "roles": list(agent.roles)}


@staff.post("/logout", status_code=204)
async def logout(request: Request, response: Response) -> None:
    """Ends the session whatever the account's roles (the agent API's log-out wants an advisor)."""
    await end_session(request, response)


def include(app: FastAPI) -> None:
    """The two pages (outside the API schema) and the account routes."""
    for path, file in PAGES.items():
        app.add_api_route(path, static_page(STATIC / file, unframed_page_headers()), methods=["GET"], include_in_schema=False)
    app.include_router(staff)
