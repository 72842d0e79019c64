"""Changes to how Rasa 3.6 serves a conversation, applied by the launcher (ops/rasa_cli.py) before Rasa starts."""
