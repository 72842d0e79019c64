from knowledge.contract import group_rasa_messages


def test_text_parts_and_payload_become_one_reply_per_utterance() -> None:
    messages = [
        {"recipient_id": "c", "text": "Hi!"},
        {"recipient_id": "c", "custom": {"outcome": "smalltalk"}},
        {"recipient_id": "c", "text": "First paragraph."},
        {"recipient_id": "c", "text": "Second paragraph."},
        {"recipient_id": "c", "custom": {"outcome": "answer", "article": "kb/a", "text": "First paragraph.\n\nSecond paragraph."}},
    ]
    replies = group_rasa_messages(messages)
    assert replies == [
        {"outcome": "smalltalk", "text": "Hi!"},
        {"outcome": "answer", "article": "kb/a", "text": "First paragraph.\n\nSecond paragraph."},
    ]


def test_a_text_without_payload_is_still_a_reply() -> None:
    assert group_rasa_messages([{"recipient_id": "c", "text": "plain"}]) == [{"text": "plain"}]
