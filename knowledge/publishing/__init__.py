"""The content team: check, publish, roll back, preview, the draft workspace and its jobs."""
