#!/bin/sh
# Runs every fuzz target for SECONDS (default 600) each, one after the other, niced; logs to
# fuzz/logs/<target>.log. From the repository root: fuzz/run-all.sh [SECONDS] [TARGET...]
set -eu
secs=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-"sse_decoder adapter_chat adapter_completions adapter_responses adapter_anthropic stream_redactor rule_loader gitleaks_import"}
cargo run --quiet --example fuzz_seeds -- fuzz/seeds
cd fuzz
mkdir -p logs
for t in $targets; do
    mkdir -p "corpus/$t"
    RUSTC_BOOTSTRAP=1 nice -n 19 cargo fuzz run -s none -a "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
        > "logs/$t.log" 2>&1 || echo "$t: stopped with a finding, see fuzz/logs/$t.log"
    tail -n 12 "logs/$t.log" | grep -E '^(#|stat::|==|SUMMARY|Done)' || true
done
