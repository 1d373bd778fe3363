#!/usr/bin/env python3
"""A client of secretgate written with the official `anthropic` SDK, for the end-to-end tests
(tests/it/e2e_anthropic.rs).

    anthropic_sdk.py stream|whole

sends one Messages request through the SDK — `client.messages.stream(...)` or
`client.messages.create(...)` — and prints ONE JSON object on stdout with what the SDK gave:

    sdk          the SDK's version
    mode         stream or whole
    completed    the call (and, streamed, the iteration) ended without an exception
    blocks       the final message's content, per block: type, and its text, thinking,
                 signature, or input (as JSON text with sorted keys), name
    stop_reason  the final message's stop_reason
    usage        the final message's usage.output_tokens
    text_stream  streamed only: the text deltas concatenated as the caller saw them
    events       streamed only: the types of the raw events the SDK yielded, in order
    error        null, or the anthropic.APIError raised: class, status, type, message

Environment: E2E_BASE_URL (the proxy, without /v1), E2E_API_KEY, E2E_PROMPT (the user
message), E2E_SYSTEM (a system prompt, optional).

Exceptions other than anthropic.APIError are not caught: the script then exits non-zero.
"""

import json
import os
import sys

import anthropic

MODEL = "claude-sonnet-4-5"

TOOLS = [
    {
        "name": "write_file",
        "description": "Write a file in the workspace.",
        "input_schema": {
            "type": "object",
            "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
            "required": ["path", "content"],
        },
    }
]

RAW_EVENTS = {
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
}


def error_info(e):
    body = getattr(e, "body", None)
    kind = None
    if isinstance(body, dict):
        kind = (body.get("error") or {}).get("type")
    return {
        "class": type(e).__name__,
        "status": getattr(e, "status_code", None),
        "type": kind,
        "message": str(e),
    }


def block_info(block):
    out = {"type": block.type}
    if block.type == "text":
        out["text"] = block.text
    elif block.type == "thinking":
        out["thinking"] = block.thinking
        out["signature"] = block.signature
    elif block.type == "tool_use":
        out["name"] = block.name
        out["input"] = json.dumps(block.input, sort_keys=True, ensure_ascii=False)
    return out


def main():
    mode = sys.argv[1]
    client = anthropic.Anthropic(
        base_url=os.environ["E2E_BASE_URL"],
        api_key=os.environ["E2E_API_KEY"],
        max_retries=0,
        timeout=30.0,
    )
    kwargs = {
        "model": MODEL,
        "max_tokens": 1024,
        "tools": TOOLS,
        "messages": [{"role": "user", "content": os.environ.get("E2E_PROMPT", "Hello")}],
    }
    if os.environ.get("E2E_SYSTEM"):
        kwargs["system"] = os.environ["E2E_SYSTEM"]
    result = {"sdk": anthropic.__version__, "mode": mode, "completed": False, "error": None}
    try:
        if mode == "stream":
            events, text = [], []
            with client.messages.stream(**kwargs) as stream:
                for event in stream:
                    if event.type in RAW_EVENTS:
                        events.append(event.type)
                    if event.type == "content_block_delta" and event.delta.type == "text_delta":
                        text.append(event.delta.text)
                result["events"] = events
                result["text_stream"] = "".join(text)
                message = stream.get_final_message()
        else:
            message = client.messages.create(**kwargs)
        result["blocks"] = [block_info(b) for b in message.content]
        result["stop_reason"] = message.stop_reason
        result["usage"] = message.usage.output_tokens
        result["completed"] = True
    except anthropic.APIError as e:
        result["error"] = error_info(e)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
