#!/usr/bin/env python3
"""A client of secretgate written with the official `openai` SDK, for the end-to-end tests
(tests/it/e2e.rs).

    openai_sdk.py stream|whole

sends one Chat Completions request (streamed or not) through the SDK and prints ONE JSON
object on stdout with what the SDK gave back:

    sdk          the SDK's version
    completed    the call (and, streamed, the iteration) ended without an exception
    choices      per choice: content, refusal, tools ([name, arguments] per tool call),
                 finish_reason, and the content logprobs' tokens (logprobs) and bytes
                 (logprob_bytes, decoded) concatenated, as the caller sees them (streamed:
                 the deltas concatenated)
    snapshot     streamed only: the same, as the SDK's own accumulator
                 (ChatCompletionStreamState) assembled it
    final_error  streamed only: the class of the exception the accumulator's
                 get_final_completion() raised (ContentFilterFinishReasonError, ...), or null
    chunks       streamed only: how many chunks the SDK yielded
    request_id   the answer's x-request-id
    error        null, or the openai.APIError raised: class, status, code, message

Environment: OPENAI_BASE_URL and OPENAI_API_KEY (read by the SDK itself); E2E_PROMPT, the
user message (default "Hello"); E2E_LOGPROBS=1 asks for logprobs.

Exceptions other than openai.APIError are not caught: the script then exits non-zero.
"""

import json
import os
import sys

import openai
from openai.lib.streaming.chat import ChatCompletionStreamState

MODEL = "gpt-4o-mini"

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "write_file",
            "description": "Write a file in the workspace.",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                "required": ["path", "content"],
            },
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


def token_texts(logprobs):
    """The content logprobs' tokens, and their bytes decoded, each concatenated."""
    tokens = (logprobs.content if logprobs is not None else None) or []
    return (
        "".join(t.token for t in tokens),
        "".join(bytes(t.bytes or []).decode("utf-8", "replace") for t in tokens),
    )


def choice_info(choice, message):
    text, raw = token_texts(choice.logprobs)
    return {
        "content": message.content or "",
        "refusal": message.refusal or "",
        "tools": [[t.function.name, t.function.arguments] for t in (message.tool_calls or [])],
        "finish_reason": choice.finish_reason,
        "logprobs": text,
        "logprob_bytes": raw,
    }


def extra_args():
    if os.environ.get("E2E_LOGPROBS") == "1":
        return {"logprobs": True, "top_logprobs": 1}
    return {}


def stream(client, messages, out):
    s = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS, stream=True, **extra_args())
    out["request_id"] = s.response.headers.get("x-request-id")
    state = ChatCompletionStreamState()
    choices = out["choices"]
    for chunk in s:
        out["chunks"] += 1
        list(state.handle_chunk(chunk))
        for c in chunk.choices:
            while len(choices) <= c.index:
                choices.append(
                    {"content": "", "refusal": "", "tools": [], "finish_reason": None, "logprobs": "", "logprob_bytes": ""}
                )
            acc = choices[c.index]
            d = c.delta
            acc["content"] += d.content or ""
            acc["refusal"] += d.refusal or ""
            text, raw = token_texts(c.logprobs)
            acc["logprobs"] += text
            acc["logprob_bytes"] += raw
            for t in d.tool_calls or []:
                while len(acc["tools"]) <= t.index:
                    acc["tools"].append(["", ""])
                if t.function is not None:
                    acc["tools"][t.index][0] += t.function.name or ""
                    acc["tools"][t.index][1] += t.function.arguments or ""
            if c.finish_reason is not None:
                if acc["finish_reason"] is not None:
                    raise AssertionError("finish_reason twice for choice %d" % c.index)
                acc["finish_reason"] = c.finish_reason
    out["completed"] = True
    snap = state.current_completion_snapshot
    out["snapshot"] = [choice_info(c, c.message) for c in snap.choices]
    try:
        state.get_final_completion()
    except openai.OpenAIError as e:
        out["final_error"] = type(e).__name__


def whole(client, messages, out):
    completion = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS, **extra_args())
    out["request_id"] = completion._request_id
    out["choices"] = [choice_info(c, c.message) for c in completion.choices]
    out["completed"] = True


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    modes = {"stream": stream, "whole": whole}
    if mode not in modes:
        sys.exit("usage: openai_sdk.py stream|whole")
    # No retries (one request per run, so the upstream's log is exact), a deadline so nothing
    # hangs, and no proxy from the environment between the SDK and secretgate.
    client = openai.OpenAI(
        max_retries=0,
        timeout=30.0,
        http_client=openai.DefaultHttpxClient(trust_env=False),
    )
    messages = [{"role": "user", "content": os.environ.get("E2E_PROMPT", "Hello")}]
    if os.environ.get("E2E_SYSTEM"):
        messages.insert(0, {"role": "system", "content": os.environ["E2E_SYSTEM"]})
    out = {
        "sdk": openai.__version__,
        "mode": mode,
        "completed": False,
        "choices": [],
        "snapshot": None,
        "final_error": None,
        "chunks": 0,
        "request_id": None,
        "error": None,
    }
    try:
        modes[mode](client, messages, out)
    except openai.APIError as e:
        out["error"] = error_info(e)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
