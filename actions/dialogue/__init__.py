"""How a conversation goes beyond single questions: "Did you mean…?" (clarification), the
customer's short answers (yes, no, which option), and small talk and endings (smalltalk)."""
