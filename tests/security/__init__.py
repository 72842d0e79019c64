"""Issue 13's probes, one row of its table each, and the tests that hold them (here or where they were
written first; they stay there).

| row of the issue's table | tests |
|---|---|
| Rasa HTTP API open (trackers, events, `DELETE /model`) | tests/e2e/test_handoff.py::test_rasas_http_api_refuses_requests_without_its_token; bound to 127.0.0.1: tests/security/test_internal_services.py |
| action server `/webhook` open | tests/e2e/test_handoff.py::test_the_action_server_refuses_calls_without_its_token, tests/actions/test_suggestions.py::test_with_a_token_only_calls_carrying_it_are_served; bound to 127.0.0.1: tests/security/test_internal_services.py |
| 100 live streams starve Redis | tests/security/test_live_streams.py (all four) |
| 30 wrong passwords | tests/handoff/test_agent_routes.py::test_password_guessing_is_refused_after_ten_failures_until_the_window_ends; bcrypt off the event loop and for unknown usernames too: tests/security/test_login.py |
| personal data | tests/security/test_personal_data.py (all six) |
| Redis down → 500 | tests/handoff/test_customer_routes.py::test_redis_down_is_503_on_every_customer_route (new conversation, history, login); tests/e2e/test_handoff.py::test_redis_killed_mid_conversation_loses_no_queued_chat_and_no_message |
| `"\\ud800"` in a JSON body → 500 | tests/handoff/test_customer_routes.py::test_a_lone_surrogate_is_refused_with_a_clear_error (message, login); every body of the API: tests/security/test_api_schema.py |
| stream id beyond range → 500 | tests/handoff/test_customer_routes.py::test_a_message_id_beyond_what_a_stream_can_hold_is_refused_clearly |
| action server down → 200 with no text | tests/handoff/test_customer_routes.py::test_no_reply_from_the_assistant_is_503_and_the_retry_gets_the_answer |
| text starting with "/" run as an intent | tests/handoff/test_customer_payloads.py; tests/e2e/test_handoff.py::test_a_customer_cannot_send_an_internal_intent |
| no rate limits | tests/security/test_rate_limits.py (messages, ratings, typing, new conversations) |
| cookies and headers | tests/security/test_browser_headers.py (all seven) |
| `client_id` reuse with a different text | tests/security/test_message_ids.py |
| "schemathesis found a single 5xx" | tests/security/test_api_schema.py: every operation, as nobody, an agent and an editor |
"""
