"""Canned replies (handoff/canned, handoff/web/canned) through the app on a real Redis, Rasa faked:
editors manage them, with unknown variables refused; advisors see their team's in the conversation's
language and get them filled with their name, the conversation's ticket and the bot's article."""
from __future__ import annotations

import asyncio

import httpx
import pytest
from redis.asyncio import Redis

from handoff.agents import get_agent, save_agent
from handoff.canned.replies import CannedDraft, CannedLang, CannedReplies, ShortcutTaken
from handoff.conversations import ConversationStore
from knowledge import redis_keys as keys
from tests.handoff.conftest import PASSWORD
from tests.handoff.fake_rasa import RESET_ARTICLE
from tests.handoff.test_agent_routes import Auth, chat, log_in, queued_chat

pytestmark = pytest.mark.anyio

EDITOR = "/api/editor/canned"
THANKS = {"lang": "en", "shortcut": "thanks", "title": "Thanks for waiting",
          "text": "Hello, I'm {agent_name}. Thanks for waiting! This should help: {article_link} ({article_title})."}


@pytest.fixture
async def edna(web: httpx.AsyncClient, redis_client: Redis) -> Auth:
    await save_agent(redis_client, "edna", PASSWORD, "Edna", ["en", "fr"], ["editor"])
    return await log_in(web, "edna")


async def advisor(web: httpx.AsyncClient, redis: Redis, username: str, team: str = "support",
                  languages: tuple[str, ...] = ("en", "fr")) -> Auth:
    await save_agent(redis, username, PASSWORD, username.title(), list(languages), ["agent"], team)
    return await log_in(web, username)


async def create(web: httpx.AsyncClient, auth: Auth, **fields: str) -> dict[str, object]:
    response = await web.post(EDITOR, json={**THANKS, **fields}, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


async def test_editors_create_change_and_remove_canned_replies(web: httpx.AsyncClient, edna: Auth,
                                                              redis_client: Redis) -> None:
    made = await create(web, edna)
    assert made["team"] == "support" and made["updated_by"] == "edna" and str(made["id"]).startswith("c")
    listed = (await web.get(EDITOR, headers=edna)).json()
    assert [(r["shortcut"], r["lang"], r["text"]) for r in listed] == [("thanks", "en", THANKS["text"])]

    # The same shortcut names another reply in French, or in another team, not twice in one.
    taken = await web.post(EDITOR, json={**THANKS, "title": "Another"}, headers=edna)
    assert taken.status_code == 409 and "/thanks already names another en reply of team support" in taken.text
    french = await create(web, edna, lang="fr", title="Merci", text="Bonjour, ici {agent_name}.")
    await create(web, edna, team="billing")

    changed = await web.put(f"{EDITOR}/{made['id']}", json={**THANKS, "shortcut": "wait"}, headers=edna)
    assert changed.status_code == 200 and changed.json()["shortcut"] == "wait"
    await create(web, edna)  # "thanks" is free again in English
    assert await redis_client.hget(keys.canned_shortcuts("support", "en"), "wait") == made["id"]

    assert (await web.delete(f"{EDITOR}/{french['id']}", headers=edna)).status_code == 204
    assert (await web.delete(f"{EDITOR}/{french['id']}", headers=edna)).status_code == 404
    assert await redis_client.hgetall(keys.canned_shortcuts("support", "fr")) == {}
    gone = await web.put(f"{EDITOR}/{french['id']}", json=THANKS, headers=edna)
    assert gone.status_code == 404
    assert {(r["team"], r["shortcut"]) for r in (await web.get(EDITOR, headers=edna)).json()} == {
        ("support", "wait"), ("support", "thanks"), ("billing", "thanks")}
    assert [r["team"] for r in (await web.get(EDITOR, params={"team": "billing"}, headers=edna)).json()] == ["billing"]
    assert [v["name"] for v in (await web.get(f"{EDITOR}/variables", headers=edna)).json()] == [
        "agent_name", "ticket_number", "article_link", "article_title"]


async def test_unknown_variables_and_bad_fields_are_refused(web: httpx.AsyncClient, edna: Auth,
                                                            redis_client: Redis) -> None:
    unknown = await web.post(EDITOR, json={**THANKS, "text": "Hi {customer_name}, I'm {agent_name} {order}"}, headers=edna)
    assert unknown.status_code == 400
    assert "unknown variables {customer_name}, {order}" in unknown.json()["detail"]
    made = await create(web, edna)
    bad_change = await web.put(f"{EDITOR}/{made['id']}", json={**THANKS, "text": "{agentname}"}, headers=edna)
    assert bad_change.status_code == 400 and "{agentname}" in bad_change.json()["detail"]
    for wrong in ({"lang": "de"}, {"shortcut": "Refund now"}, {"team": "Sales Team"}, {"title": ""}, {"text": "  "},
                  {"text": "x" * 2001}):
        assert (await web.post(EDITOR, json={**THANKS, **wrong}, headers=edna)).status_code == 422, wrong
    # Braces that are no variable name are text.
    await create(web, edna, shortcut="braces", text="Use the code { 12 } or {}")
    assert (await web.put(f"{EDITOR}/c000000000000", json=THANKS, headers=edna)).status_code == 404
    advisor_only = await advisor(web, redis_client, "alice")
    assert (await web.post(EDITOR, json=THANKS, headers=advisor_only)).status_code == 403
    assert (await web.get(EDITOR)).status_code == 401


async def test_advisors_see_their_teams_replies_in_the_conversations_language(
        web: httpx.AsyncClient, edna: Auth, redis_client: Redis) -> None:
    refund = await create(web, edna, shortcut="refund", title="Refund delay", text="Refunds take 5 days.")
    await create(web, edna)
    await create(web, edna, lang="fr", shortcut="remboursement", title="Délai de remboursement",
                 text="Le remboursement prend 5 jours.")
    await create(web, edna, team="billing", shortcut="invoice", title="Invoice", text="Your invoice is attached.")
    alice = await advisor(web, redis_client, "alice")
    bill = await advisor(web, redis_client, "bill", team="billing")
    conversation_id = await queued_chat(web)  # the fake bot hands it over in English

    def shortcuts(found: httpx.Response) -> list[str]:
        assert found.status_code == 200, found.text
        return [r["shortcut"] for r in found.json()]

    canned = chat(conversation_id, "canned")
    assert shortcuts(await web.get(canned, headers=alice)) == ["refund", "thanks"]
    assert shortcuts(await web.get(canned, params={"q": "/ref"}, headers=alice)) == ["refund"]
    assert shortcuts(await web.get(canned, params={"q": "waiting"}, headers=alice)) == ["thanks"]  # the title
    assert shortcuts(await web.get(canned, params={"q": "5 days"}, headers=alice)) == ["refund"]  # the text
    assert shortcuts(await web.get(canned, params={"q": "nothing like it"}, headers=alice)) == []
    assert shortcuts(await web.get(canned, headers=bill)) == ["invoice"]
    # Another team's reply is not the advisor's to use.
    assert (await web.get(chat(conversation_id, f"canned/{refund['id']}"), headers=bill)).status_code == 404
    assert (await web.get(chat("x" * 32, "canned"), headers=alice)).status_code == 404

    french = (await web.post("/api/conversations")).json()["conversation_id"]
    await redis_client.hset(keys.conversation(french), "lang", "fr")
    assert shortcuts(await web.get(chat(french, "canned"), params={"q": "rembourse"}, headers=alice)) == ["remboursement"]


async def test_a_reply_is_filled_with_the_advisor_ticket_and_article(
        web: httpx.AsyncClient, edna: Auth, redis_client: Redis, store: ConversationStore) -> None:
    thanks = await create(web, edna)
    ticket = await create(web, edna, shortcut="ticket", title="Your ticket", text="Your ticket is {ticket_number}.")
    alice = await advisor(web, redis_client, "alice")
    conversation_id = (await web.post("/api/conversations")).json()["conversation_id"]
    await web.post(f"/api/conversations/{conversation_id}/messages", json={"text": "How do I reset my password?"})
    # Nobody was online earlier: the bot filed a ticket; the customer asks for a person again later.
    await store.bot_turn(conversation_id, [{"outcome": "ticket", "ticket": "T000042", "lang": "en",
                                            "text": "Ticket T000042 filed."}], None)
    await web.post(f"/api/conversations/{conversation_id}/messages", json={"text": "I want to talk to a person"})
    assert (await web.post(chat(conversation_id, "claim"), headers=alice)).status_code == 200

    got = await web.get(chat(conversation_id, f"canned/{thanks['id']}"), headers=alice)
    assert got.status_code == 200, got.text
    assert got.json()["text"] == ("Hello, I'm Alice. Thanks for waiting! This should help: "
                                  f"https://testserver/help/{RESET_ARTICLE} (Reset your password).")
    assert got.json()["unfilled"] == []
    with_ticket = (await web.get(chat(conversation_id, f"canned/{ticket['id']}"), headers=alice)).json()
    assert with_ticket["text"] == "Your ticket is T000042." and with_ticket["unfilled"] == []

    # No answer, no suggestion, no ticket: the variables stay as written, and are named.
    bare = await queued_chat(web)
    assert (await web.post(chat(bare, "claim"), headers=alice)).status_code == 200
    unfilled = (await web.get(chat(bare, f"canned/{thanks['id']}"), headers=alice)).json()
    assert unfilled["text"] == ("Hello, I'm Alice. Thanks for waiting! This should help: {article_link} "
                                "({article_title}).")
    assert unfilled["unfilled"] == ["article_link", "article_title"]
    assert (await web.get(chat(bare, f"canned/{ticket['id']}"), headers=alice)).json()["unfilled"] == ["ticket_number"]
    # Suggested to the advisor, when the bot answered with no article.
    await store.add_suggestions(bare, "0-1", [{"article": "lumen/refund-delay-en", "title": "Refund delay"}])
    suggested = (await web.get(chat(bare, f"canned/{thanks['id']}"), headers=alice)).json()
    assert suggested["text"].endswith("https://testserver/help/lumen/refund-delay-en (Refund delay).")


async def test_an_account_saved_before_teams_is_in_the_default_team(redis_client: Redis) -> None:
    await save_agent(redis_client, "old", PASSWORD, "Old", ["en"])
    await redis_client.hdel(keys.agent("old"), "team")
    agent = await get_agent(redis_client, "old")
    assert agent is not None and agent.team == "support"
    assert (await save_agent(redis_client, "new", PASSWORD, "New", ["en"], team="billing")).team == "billing"


async def test_two_editors_taking_one_shortcut_at_once_leave_one_reply(redis_client: Redis) -> None:
    replies = CannedReplies(redis_client)
    drafts = [CannedDraft("support", CannedLang.EN, "refund", f"Refund {n}", f"Text {n}") for n in range(6)]
    results = await asyncio.gather(*(replies.create(draft, "edna") for draft in drafts), return_exceptions=True)
    saved = [r for r in results if not isinstance(r, Exception)]
    assert len(saved) == 1 and all(isinstance(r, ShortcutTaken) for r in results if r not in saved)
    assert await redis_client.smembers(keys.CANNED_REPLIES) == {saved[0].id}
    assert await redis_client.hgetall(keys.canned_shortcuts("support", "en")) == {"refund": saved[0].id}
