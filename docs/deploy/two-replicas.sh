#!/usr/bin/env bash
# Two secretgate replicas behind nginx, on loopback, streamed through with the openai SDK.
#
#   docs/deploy/two-replicas.sh
#
# Starts a fake OpenAI upstream (two_replicas.py upstream), two `secretgate serve` replicas on
# free ports in front of it, and nginx (nginx.conf, filled in) on a free port in front of
# them, unprivileged, everything under one temporary directory; then runs
# `two_replicas.py client`, which checks through nginx that answers stream unbuffered and
# redacted, that both replicas serve, and that a replica drained with SIGTERM finishes its
# open stream while new requests go to the other one. This script then checks that the
# drained replica exits 0. Every process it started is stopped on exit.
#
# Environment:
#   SECRETGATE_BIN     the binary (default: $CARGO_TARGET_DIR or target, /release/secretgate)
#   SECRETGATE_PYTHON  a python with the openai SDK (default: target/e2e-venv/bin/python,
#                      as .ci/run makes it from tests/e2e/requirements.txt)
#   NGINX              the nginx binary (default: nginx on PATH, or /usr/sbin/nginx;
#                      Debian: apt-get install nginx)
#   KEEP_TMP=1         keep the temporary directory (logs, nginx.conf) for a look afterwards
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${SECRETGATE_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/secretgate}
python=${SECRETGATE_PYTHON:-$root/target/e2e-venv/bin/python}
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
for tool in "$bin" "$python" "$nginx"; do
    [ -x "$tool" ] || { echo "two-replicas: $tool is missing (see the top of $0)" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/secretgate-two-replicas.XXXXXX")
# nginx's workers may run as another user (nobody, when started as root): let them in.
chmod 755 "$tmp"
pids=()
cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ "$status" -ne 0 ]; then
        for log in "$tmp"/*.log "$tmp"/nginx/*.log; do
            [ -s "$log" ] && { echo "--- $log"; tail -n 40 "$log"; }
        done
    fi
    if [ "${KEEP_TMP:-}" = 1 ]; then echo "two-replicas: kept $tmp"; else rm -rf "$tmp"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_line FILE REGEX WHAT: the first line of FILE matching REGEX, once it is there (30 s).
wait_line() {
    local deadline=$((SECONDS + 30)) line
    while :; do
        line=$(grep -m1 -E "$2" "$1" 2>/dev/null || true)
        [ -n "$line" ] && { echo "$line"; return; }
        [ "$SECONDS" -lt "$deadline" ] || { echo "two-replicas: no '$3' after 30 s" >&2; return 1; }
        sleep 0.05
    done
}

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The fake upstream.
"$python" "$here/two_replicas.py" upstream >"$tmp/upstream.out" 2>"$tmp/upstream.log" &
pids+=($!)
upstream=$(wait_line "$tmp/upstream.out" '^listening http://' "fake upstream listening")
upstream=${upstream#listening }

# Two replicas, each on a free port (`--listen 127.0.0.1:0` prints the one it got).
declare -A replica_pid
for name in a b; do
    "$bin" serve --upstream "$upstream/v1" --listen 127.0.0.1:0 >"$tmp/replica-$name.out" 2>"$tmp/replica-$name.log" &
    replica_pid[$name]=$!
    pids+=($!)
done
replicas=()
for name in a b; do
    line=$(wait_line "$tmp/replica-$name.out" 'listening on http://' "replica $name listening")
    replicas+=("${line##* },${replica_pid[$name]}")
done
addr_a=${replicas[0]%,*}
addr_b=${replicas[1]%,*}

# nginx, unprivileged: prefix, pid, logs and temporary files under $tmp/nginx.
port=$(free_port)
mkdir -p "$tmp/nginx"
sed -e "s|@REPLICA_A@|${addr_a#http://}|" -e "s|@REPLICA_B@|${addr_b#http://}|" \
    -e "s|@LISTEN@|127.0.0.1:$port|" "$here/nginx.conf" >"$tmp/nginx/nginx.conf"
"$nginx" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
pids+=($!)
front="http://127.0.0.1:$port"
deadline=$((SECONDS + 30))
until "$python" -c 'import sys, urllib.request as u
u.build_opener(u.ProxyHandler({})).open(sys.argv[1], timeout=2).close()' "$front/healthz" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "two-replicas: nginx did not answer on $front" >&2; exit 1; }
    sleep 0.05
done
echo "two-replicas: nginx $front -> replicas $addr_a, $addr_b -> fake upstream $upstream"

"$python" "$here/two_replicas.py" client --nginx "$front" --upstream "$upstream" \
    --replica "${replicas[0]}" --replica "${replicas[1]}" --drained-file "$tmp/drained"

# The drained replica exits by itself, successfully, now that its stream is done.
drained=$(cat "$tmp/drained")
# (A child that has exited is a zombie, state Z, until it is waited for.)
deadline=$((SECONDS + 30))
while [ "$(sed -E 's/.*\) (.).*/\1/' "/proc/$drained/stat" 2>/dev/null || echo Z)" != Z ]; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "two-replicas: the drained replica did not exit" >&2; exit 1; }
    sleep 0.05
done
if wait "$drained"; then status=0; else status=$?; fi
kept=()   # reaped: never signal that pid again
for pid in "${pids[@]}"; do [ "$pid" = "$drained" ] || kept+=("$pid"); done
pids=("${kept[@]}")
if [ "$status" -ne 0 ]; then
    echo "two-replicas: the drained replica exited with status $status" >&2
    exit 1
fi
echo "two-replicas: the drained replica exited 0"
echo "two-replicas: ok"
