"""A simulated day of customer service, driven through the real stack's HTTP API only (the widget's
customer routes, the agent and reviewer routes): conversations in English and French with answers,
declines, hand-overs that an agent claims, answers and closes or hands back, tickets filed while no agent
is online, "helpful?" answers, 1-5 ratings and a reviewer's verdicts. It keeps its own journal of what it
did and what each reply said, computes the figures it expects from that journal alone (expected.py, not
the web app's figures), fetches GET /api/insights/summary for the day and prints both side by side.

    python -m ops.simulate_day --web http://localhost:8000 --conversations 40
"""
