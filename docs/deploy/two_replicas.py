#!/usr/bin/env python3
"""The two halves of two-replicas.sh that speak HTTP: a fake upstream and the client.

    two_replicas.py upstream
    two_replicas.py client --nginx URL --upstream URL --replica URL,PID --replica URL,PID
                           [--requests N] [--drained-file FILE]

upstream (standard library only): an OpenAI-compatible server on a free loopback port; it
prints `listening http://127.0.0.1:PORT` and serves until killed. A streamed
`POST /v1/chat/completions` is answered in OpenAI's wire format (chunked, one SSE event per
chunk): the role chunk and the first sentence, then it WAITS until someone posts
`/control/go/TAG` (TAG: the request's last user message), then the rest, with an OpenAI
project key planted across several deltas. So an answer whose first sentence reaches the
client only after the whole body was written cannot happen: a proxy that buffered the stream
would leave the upstream waiting, and after GO_TIMEOUT (20 s) it writes NO_GO_MARK instead of the
rest, which the client reports as buffering.

client (the official `openai` SDK): through nginx,
  1. `--requests` streamed answers, each acknowledged (`go`) as soon as its first sentence
     arrives: every answer is the redacted text, no 12-character piece of the key reaches
     the client, and both replicas served some (their own /metrics, scraped directly);
  2. drain: a stream is opened and left waiting; the replica serving it (its
     `secretgate_active_streams`) gets SIGTERM; once it refuses new connections, new streamed
     requests succeed and all go to the other replica (its request counter grows by exactly
     that many); then the open stream is let go and completes, redacted, with
     `finish_reason: "stop"`. The drained replica's pid is written to `--drained-file` (the
     shell script checks that it exits 0).
Exits non-zero with a message on the first failed check.
"""

import argparse
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = "sk-proj-7ku8dr1aRNQPTDZTe1tzT3BlbkFJjD7yqHBEReY65dHmyWR2"
FIRST = "Hello from the fake upstream. "
# The rest of the answer: the key cut across deltas, as a model streams it.
REST = ["Your key is ", KEY[:5], KEY[5:19], KEY[19:40], KEY[40:], ". Bye."]
EXPECTED = FIRST + "Your key is [REDACTED:openai-project-key]. Bye."
NO_GO_MARK = "[fake upstream: nobody acknowledged the first sentence in time]"
GO_TIMEOUT = 20.0
# How long the client waits for a replica to stop accepting, or for a scrape.
DEADLINE = 30.0
# The SDK's timeout: longer than GO_TIMEOUT, so a buffered stream ends in NO_GO_MARK, which
# says what went wrong, rather than in the SDK's timeout.
SDK_TIMEOUT = 60.0

# ------------------------------------------------------------------ upstream


class Gates:
    """One event per stream tag: set when the client has seen the stream's first sentence."""

    def __init__(self):
        self.lock = threading.Lock()
        self.events = {}

    def get(self, tag):
        with self.lock:
            return self.events.setdefault(tag, threading.Event())


GATES = Gates()


def chunk(delta, finish=None):
    event = {
        "id": "chatcmpl-two-replicas",
        "object": "chat.completion.chunk",
        "created": 1764400000,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_560af6e559",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return "data: " + json.dumps(event, separators=(",", ":")) + "\n\n"


class Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("upstream: " + (fmt % args) + "\n")

    def write_chunk(self, text):
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        go = re.fullmatch(r"/control/go/([\w.-]+)", self.path)
        if go:
            GATES.get(go.group(1)).set()
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        if self.path != "/v1/chat/completions":
            self.send_error(404)
            return
        request = json.loads(body)
        if not request.get("stream"):
            self.send_error(400, "this upstream only streams")
            return
        tag = request["messages"][-1]["content"]
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("x-request-id", "req_" + tag)
        self.end_headers()
        self.write_chunk(chunk({"role": "assistant", "content": "", "refusal": None}))
        self.write_chunk(chunk({"content": FIRST}))
        if GATES.get(tag).wait(GO_TIMEOUT):
            rest = REST
        else:
            rest = [NO_GO_MARK]
        for piece in rest:
            self.write_chunk(chunk({"content": piece}))
        self.write_chunk(chunk({}, finish="stop"))
        self.write_chunk("data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def upstream(_args):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    server.daemon_threads = True
    print("listening http://127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()


# ------------------------------------------------------------------ client

# Plain HTTP to the replicas and the upstream: never through a proxy from the environment.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fail(message):
    sys.exit("two_replicas: FAILED: " + message)


def say(message):
    print("two_replicas: " + message, flush=True)


class Replica:
    def __init__(self, spec):
        url, pid = spec.split(",")
        self.url, self.pid = url.rstrip("/"), int(pid)

    def metrics(self):
        with DIRECT.open(self.url + "/metrics", timeout=DEADLINE) as r:
            return r.read().decode()

    def metric(self, pattern):
        """The sum of the samples whose name and labels match `pattern`."""
        total = 0.0
        for line in self.metrics().splitlines():
            m = re.fullmatch(pattern + r"(?:\{[^}]*\})?\s+(\S+)", line)
            if m and not line.startswith("#"):
                total += float(m.group(1))
        return total

    def chat_requests(self):
        return self.metric(r'secretgate_requests_total\{route="chat_completions",status="200"\}')

    def active_streams(self):
        return self.metric(r"secretgate_active_streams")

    def refuses_connections(self):
        host, port = self.url.rsplit("//", 1)[1].rsplit(":", 1)
        try:
            socket.create_connection((host, int(port)), timeout=1.0).close()
            return False
        except ConnectionRefusedError:
            return True


def wait_for(what, check):
    """Polls `check` until it holds; fails after DEADLINE."""
    end = time.monotonic() + DEADLINE
    while not check():
        if time.monotonic() > end:
            fail("timed out waiting for " + what)
        time.sleep(0.02)


class Stream:
    """One streamed answer through nginx, read with the SDK, acknowledged by hand."""

    def __init__(self, sdk, upstream_url, tag):
        self.upstream_url, self.tag = upstream_url, tag
        self.content, self.finish = "", None
        self.chunks = iter(
            sdk.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": tag}], stream=True
            )
        )

    def read_first_sentence(self):
        while FIRST not in self.content:
            if not self.step():
                fail("%s: the stream ended before its first sentence: %r" % (self.tag, self.content))

    def go(self):
        request = urllib.request.Request("%s/control/go/%s" % (self.upstream_url, self.tag), method="POST", data=b"")
        DIRECT.open(request, timeout=DEADLINE).close()

    def step(self):
        c = next(self.chunks, None)
        if c is None:
            return False
        for choice in c.choices:
            self.content += choice.delta.content or ""
            if choice.finish_reason is not None:
                self.finish = choice.finish_reason
        return True

    def finish_and_check(self):
        while self.step():
            pass
        if NO_GO_MARK in self.content:
            fail("%s: the first sentence reached the client only after the upstream gave up "
                 "waiting: something between them buffers the stream" % self.tag)
        if any(KEY[i:i + 12] in self.content for i in range(len(KEY) - 11)):
            fail("%s: a piece of the planted key reached the client" % self.tag)
        if self.content != EXPECTED or self.finish != "stop":
            fail("%s: got %r (finish_reason %r), expected %r" % (self.tag, self.content, self.finish, EXPECTED))


def one_stream(sdk, upstream_url, tag):
    s = Stream(sdk, upstream_url, tag)
    s.read_first_sentence()
    s.go()
    s.finish_and_check()


def client(args):
    import openai

    sdk = openai.OpenAI(
        base_url=args.nginx.rstrip("/") + "/v1",
        api_key="two-replicas-client-key",
        max_retries=0,
        timeout=SDK_TIMEOUT,
        http_client=openai.DefaultHttpxClient(trust_env=False),
    )
    up = args.upstream.rstrip("/")
    replicas = [Replica(r) for r in args.replica]
    if len(replicas) != 2:
        fail("give two --replica URL,PID")

    # 1. Streams through nginx: unbuffered, redacted, spread over both replicas.
    before = [r.chat_requests() for r in replicas]
    for i in range(args.requests):
        one_stream(sdk, up, "spread-%d" % i)
    served = [r.chat_requests() - b for r, b in zip(replicas, before)]
    if sum(served) != args.requests or min(served) < 1:
        fail("requests per replica %s: expected %d in all, at least one each" % (served, args.requests))
    say("%d streams through nginx, unbuffered and redacted; per replica: %s"
        % (args.requests, ", ".join("%d" % n for n in served)))

    # 2. Drain one replica while a stream through it is open.
    held = Stream(sdk, up, "drain")
    held.read_first_sentence()
    active = [r.active_streams() for r in replicas]
    if sorted(active) != [0, 1]:
        fail("active streams per replica %s: expected the open stream on exactly one" % active)
    draining, other = (replicas[0], replicas[1]) if active[0] == 1 else (replicas[1], replicas[0])
    os.kill(draining.pid, signal.SIGTERM)
    wait_for("the draining replica to refuse new connections", draining.refuses_connections)
    say("SIGTERM to pid %d; it refuses new connections, its stream is still open" % draining.pid)
    before = other.chat_requests()
    for i in range(args.requests):
        one_stream(sdk, up, "after-drain-%d" % i)
    if other.chat_requests() - before != args.requests:
        fail("while one replica drained, %d of %d new requests reached the other"
             % (other.chat_requests() - before, args.requests))
    say("%d new streams during the drain, all served by the other replica" % args.requests)
    held.go()
    held.finish_and_check()
    say("the stream open on the draining replica completed")
    if args.drained_file:
        with open(args.drained_file, "w") as f:
            f.write("%d\n" % draining.pid)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upstream")
    c = sub.add_parser("client")
    c.add_argument("--nginx", required=True)
    c.add_argument("--upstream", required=True)
    c.add_argument("--replica", action="append", default=[])
    c.add_argument("--requests", type=int, default=4)
    c.add_argument("--drained-file")
    args = parser.parse_args()
    {"upstream": upstream, "client": client}[args.command](args)


if __name__ == "__main__":
    main()
