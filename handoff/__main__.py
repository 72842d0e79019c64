"""Handoff administration: python -m handoff add-agent | grant-role | agents | queue | tickets | forget"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import secrets
import sys

from handoff.agents import DEFAULT_TEAM, ROLES, AgentError, grant_roles, list_agents, save_agent
from handoff.connection import connect
from handoff.conversations import ConversationStore
from handoff.safeguards.erasure import forget
from handoff.settings import HandoffSettings
from handoff.tickets import open_tickets


async def _add_agent(args: argparse.Namespace, settings: HandoffSettings) -> int:
    redis = connect(settings.redis_url)
    try:
        if args.if_none and await list_agents(redis):
            return 0
        password = os.environ.get("AGENT_PASSWORD") or ("" if args.generate_password else getpass.getpass("password: "))
        if args.generate_password and not password:
            password = secrets.token_urlsafe(9)
        agent = await save_agent(redis, args.username, password, args.name or args.username,
                                 _listed(args.languages), _listed(args.roles), args.team)
    except AgentError as error:
        print(f"add-agent: {error}", file=sys.stderr)
        return 2
    finally:
        await redis.aclose()
    print(f"agent {agent.username} ({agent.display_name}, {', '.join(agent.languages)}; {', '.join(agent.roles)};"
          f" team {agent.team})"
          + (f" password: {password}" if args.generate_password else ""))
    return 0


def _listed(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


async def _grant_role(args: argparse.Namespace, settings: HandoffSettings) -> int:
    redis = connect(settings.redis_url)
    try:
        agent = await grant_roles(redis, args.username, _listed(args.roles))
    except AgentError as error:
        print(f"grant-role: {error}", file=sys.stderr)
        return 2
    finally:
        await redis.aclose()
    print(f"agent {agent.username}: {', '.join(agent.roles)}")
    return 0


async def _show(what: str, settings: HandoffSettings) -> int:
    redis = connect(settings.redis_url)
    try:
        if what == "agents":
            for agent in await list_agents(redis):
                print(f"{agent.username}\t{agent.display_name}\t{','.join(agent.languages)}\t{','.join(agent.roles)}\t"
                      f"{agent.team}")
        elif what == "queue":
            for entry in await ConversationStore(redis, settings).queue(None):
                print(f"{entry.conversation_id}\t{entry.lang}\t{entry.reason}\tpriority {entry.priority}\t"
                      f"waiting {entry.waiting_s:.0f}s")
        else:
            for ticket in await open_tickets(redis):
                print(f"{ticket.ticket_id}\t{ticket.lang}\t{ticket.reason}\t{ticket.contact}\t{ticket.conversation_id}")
    finally:
        await redis.aclose()
    return 0


async def _forget(args: argparse.Namespace, settings: HandoffSettings) -> int:
    redis = connect(settings.redis_url)
    try:
        report = await forget(redis, args.who)
    finally:
        await redis.aclose()
    print(f"forgot {args.who}: {len(report.conversations)} conversation(s)")
    for store, count in report.erased.items():
        print(f"  {store}: {count}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handoff", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-agent", help="create or update an agent account (password from AGENT_PASSWORD or a prompt)")
    add.add_argument("username")
    add.add_argument("--name", help="display name shown to customers")
    add.add_argument("--languages", default="en,fr", help="languages the agent takes, comma-separated (en, fr)")
    add.add_argument("--generate-password", action="store_true", help="make up a password and print it")
    add.add_argument("--if-none", action="store_true", help="do nothing if any agent exists")
    add.add_argument("--roles", "--role", default="agent",
                     help=f"what the account may do, comma-separated ({', '.join(ROLES)}): agent = advisor console, "
                          "editor = the content team's pages, supervisor = erase a customer's data")
    add.add_argument("--team", default=DEFAULT_TEAM, help="the advisor's team: canned replies are shared per team")
    grant = commands.add_parser("grant-role", help="add roles to an existing account")
    grant.add_argument("username")
    grant.add_argument("roles", help=f"comma-separated: {', '.join(ROLES)}")
    for name in ("agents", "queue", "tickets"):
        commands.add_parser(name, help=f"list {name}")
    erase = commands.add_parser("forget", help="erase a customer's data everywhere: their conversations, Rasa "
                                "trackers, tickets, link to their customer id, unanswered questions and events")
    erase.add_argument("who", help="a conversation id, the email address or phone number they left, or the "
                                   "customer id the site signed for the widget")
    args = parser.parse_args(argv)
    settings = HandoffSettings()
    if args.command == "add-agent":
        return asyncio.run(_add_agent(args, settings))
    if args.command == "grant-role":
        return asyncio.run(_grant_role(args, settings))
    if args.command == "forget":
        return asyncio.run(_forget(args, settings))
    return asyncio.run(_show(args.command, settings))


if __name__ == "__main__":
    sys.exit(main())
