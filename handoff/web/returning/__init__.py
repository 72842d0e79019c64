"""Returning customers in the web app: the signed customer id a new conversation may carry, and the
advisors' list of that customer's earlier conversations (handoff/returning)."""
