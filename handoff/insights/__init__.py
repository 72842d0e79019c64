"""Insights: what happened in conversations, recorded as events (a Redis stream outbox, then SQL rows),
the figures computed from them, the review of the bot's answers, and the metrics for monitoring."""
