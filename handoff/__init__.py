"""The customer channel and, later, the human handoff: who owns a conversation, queue, relay."""
