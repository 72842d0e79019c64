"""Read path: match a question to an article, decide answer / decline / escalate, calibrate."""
