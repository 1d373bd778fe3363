#!/usr/bin/env python3
"""A client of secretgate's Responses route written with the official `openai` SDK, for the
end-to-end tests (tests/it/e2e_responses.rs).

    openai_responses.py stream|whole

sends one Responses request through the SDK — `client.responses.create(..., stream=True)` or
`client.responses.create(...)` — and prints ONE JSON object on stdout with what it gave:

    sdk          the SDK's version
    mode         stream or whole
    completed    the call (and, streamed, the iteration) ended without an exception
    events       streamed only: the types of the events the SDK yielded, in order
    deltas       streamed only: per channel ("text", "arguments", "summary"), the deltas
                 concatenated as the caller saw them
    final        the response: for a stream, the one in its final event (completed or
                 incomplete), with that event's type; status, incomplete reason,
                 output_text (the SDK's property), and per output item its type and text
                 (message text, function arguments, reasoning summary)
    snapshot     streamed only: the SDK's own accumulator (ResponseStreamState, which checks
                 that every delta belongs to an announced item and part) fed the same events:
                 the output_text of its final response, or null when none completed
    error        null, or the openai.APIError raised: class, status, code, message

Environment: OPENAI_BASE_URL and OPENAI_API_KEY (read by the SDK itself); E2E_PROMPT (the
user input), E2E_INSTRUCTIONS (optional).

Exceptions other than openai.APIError are not caught: the script then exits non-zero.
"""

import json
import os
import sys

import openai
from openai.lib.streaming.responses._responses import ResponseStreamState

MODEL = "gpt-5"

TOOLS = [
    {
        "type": "function",
        "name": "write_file",
        "description": "Write a file in the workspace.",
        "parameters": {
            "type": "object",
            "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
            "required": ["path", "content"],
        },
    }
]


def error_info(e):
    return {
        "class": type(e).__name__,
        "status": getattr(e, "status_code", None),
        "code": getattr(e, "code", None),
        "message": str(e),
    }


def item_info(item):
    info = {"type": item.type}
    if item.type == "message":
        info["text"] = "".join(getattr(c, "text", None) or getattr(c, "refusal", "") for c in item.content)
    elif item.type == "function_call":
        info["text"] = item.arguments
        info["name"] = item.name
    elif item.type == "reasoning":
        info["text"] = "".join(s.text for s in item.summary or [])
        info["encrypted_content"] = item.encrypted_content
    return info


def response_info(response, event_type=None):
    details = response.incomplete_details
    return {
        "event": event_type,
        "status": response.status,
        "reason": details.reason if details is not None else None,
        "output_text": response.output_text,
        "output": [item_info(i) for i in response.output],
    }


def request_args():
    args = {"model": MODEL, "input": os.environ.get("E2E_PROMPT", "Hello"), "tools": TOOLS}
    if os.environ.get("E2E_INSTRUCTIONS"):
        args["instructions"] = os.environ["E2E_INSTRUCTIONS"]
    return args


DELTAS = {
    "response.output_text.delta": "text",
    "response.function_call_arguments.delta": "arguments",
    "response.reasoning_summary_text.delta": "summary",
}


def stream(client, out):
    s = client.responses.create(stream=True, **request_args())
    state = ResponseStreamState(input_tools=TOOLS, text_format=openai.omit)
    out["deltas"] = {"text": "", "arguments": "", "summary": ""}
    for event in s:
        out["events"].append(event.type)
        state.handle_event(event)
        channel = DELTAS.get(event.type)
        if channel:
            out["deltas"][channel] += event.delta
        if event.type in ("response.completed", "response.incomplete", "response.failed"):
            out["final"] = response_info(event.response, event.type)
    out["completed"] = True
    done = state._completed_response
    out["snapshot"] = done.output_text if done is not None else None


def whole(client, out):
    response = client.responses.create(**request_args())
    out["final"] = response_info(response)
    out["completed"] = True


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    modes = {"stream": stream, "whole": whole}
    if mode not in modes:
        sys.exit("usage: openai_responses.py stream|whole")
    # No retries (one request per run), a deadline so nothing hangs, no proxy from the
    # environment between the SDK and secretgate.
    client = openai.OpenAI(max_retries=0, timeout=30.0, http_client=openai.DefaultHttpxClient(trust_env=False))
    out = {
        "sdk": openai.__version__,
        "mode": mode,
        "completed": False,
        "events": [],
        "deltas": None,
        "final": None,
        "snapshot": None,
        "error": None,
    }
    try:
        modes[mode](client, out)
    except openai.APIError as e:
        out["error"] = error_info(e)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
