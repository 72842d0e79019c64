"""Custom Rasa actions (rasa-sdk): tracker in, a call into knowledge/ or handoff/, events out."""
