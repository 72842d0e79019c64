"""Rasa training data and custom NLU components of the Lumen Mobile assistant."""
