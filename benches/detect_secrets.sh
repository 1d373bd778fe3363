#!/usr/bin/env bash
# Runs Yelp's detect-secrets (pip, in a venv) and secretgate on the same synthetic labeled
# corpus and prints recall, altered negative documents and speed side by side.
#
#   bash benches/detect_secrets.sh            # 2000 positive + 1000 negative documents
#   POSITIVES=5000 NEGATIVES=2500 bash benches/detect_secrets.sh
set -euo pipefail
cd "$(dirname "$0")/.."
POSITIVES=${POSITIVES:-2000}
NEGATIVES=${NEGATIVES:-1000}
SEED=${SEED:-7}

cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./target/release/secretgate corpus --out "$work/corpus" --positives "$POSITIVES" --negatives "$NEGATIVES" --seed "$SEED"

venv=benches/.venv
if [[ ! -x "$venv/bin/detect-secrets" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check detect-secrets==1.5.0
fi
"$venv/bin/python" benches/compare_detect_secrets.py "$work/corpus" "$PWD/target/release/secretgate" "$PWD/$venv/bin/detect-secrets"
