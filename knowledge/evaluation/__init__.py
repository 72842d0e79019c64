"""Measuring answer rate and conformity on query sets, this project against baselines."""
