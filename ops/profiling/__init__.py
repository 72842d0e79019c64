"""Sampled profiles of the running stack's processes (py-spy), for `make bench --profile`."""
