"""Compare secretgate and detect-secrets on a corpus written by `secretgate corpus --out DIR`.

DIR/labels.jsonl has one line per document: {"file", "secrets": [{"start", "end", "kind"}]}
with byte offsets into DIR/<file>. Negative documents have no secrets.

Two recall figures per tool:
  exact - the planted secret's bytes are fully covered by reported secret spans (secretgate) or
          the tool reported a secret whose SHA-1 equals the planted value's (detect-secrets
          reports hashed_secret = sha1(value));
  line  - the tool reported anything on the line where the planted secret starts (lenient; the
          only view detect-secrets' line-based output allows for multi-line or partial hits).
"""

import collections
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time


def load(corpus):
    docs = []
    with open(os.path.join(corpus, "labels.jsonl"), encoding="utf-8") as f:
        for line in f:
            docs.append(json.loads(line))
    return docs


def line_of(data, offset):
    return data.count(b"\n", 0, offset) + 1


def run(cmd, cwd=None):
    # Pin to one core so a tool that forks workers gets no more CPU than the other.
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0"] + cmd
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, cwd=cwd)
    return time.perf_counter() - t, p


def main():
    corpus, secretgate, detect_secrets = sys.argv[1:4]
    docs = load(corpus)
    data = {d["file"]: open(os.path.join(corpus, d["file"]), "rb").read() for d in docs}
    total_bytes = sum(len(v) for v in data.values())

    # secretgate
    t_sg, p = run([secretgate, "scan", "--format", "json", corpus])
    if p.returncode not in (0, 1):
        sys.exit(f"secretgate failed: {p.stderr.decode()}")
    sg_spans = collections.defaultdict(list)
    for line in p.stdout.decode().splitlines():
        v = json.loads(line)
        rel = os.path.relpath(v["path"], corpus)
        sg_spans[rel].append((v["start"], v["end"]))

    # detect-secrets (one process over the directory, all files, default plugins). Run from
    # inside the corpus: started within a git work tree it silently skips outside paths.
    t_ds, p = run([detect_secrets, "scan", "--all-files", "."], cwd=corpus)
    if p.returncode != 0:
        sys.exit(f"detect-secrets failed: {p.stderr.decode()}")
    ds = collections.defaultdict(list)
    for fname, results in json.loads(p.stdout)["results"].items():
        ds[os.path.normpath(fname)].extend(results)

    stats = {name: collections.Counter() for name in ("secretgate", "detect-secrets")}
    missed_kinds = {name: collections.Counter() for name in stats}
    for d in docs:
        f, text = d["file"], data[d["file"]]
        if not d["secrets"]:
            stats["secretgate"]["negatives"] += 1
            stats["detect-secrets"]["negatives"] += 1
            stats["secretgate"]["altered"] += bool(sg_spans.get(f))
            stats["detect-secrets"]["altered"] += bool(ds.get(f))
            continue
        sg_lines = {line_of(text, s) for s, _ in sg_spans.get(f, [])}
        ds_lines = {r["line_number"] for r in ds.get(f, [])}
        ds_hashes = {r["hashed_secret"] for r in ds.get(f, [])}
        for s in d["secrets"]:
            start, end = s["start"], s["end"]
            value = text[start:end]
            for name in stats:
                stats[name]["planted"] += 1
            covered = set()
            for a, b in sg_spans.get(f, []):
                covered.update(range(max(a, start), min(b, end)))
            sg_exact = len(covered) == end - start
            ds_exact = hashlib.sha1(value).hexdigest() in ds_hashes
            stats["secretgate"]["exact"] += sg_exact
            stats["detect-secrets"]["exact"] += ds_exact
            ln = line_of(text, start)
            stats["secretgate"]["line"] += ln in sg_lines or sg_exact
            stats["detect-secrets"]["line"] += ln in ds_lines or ds_exact
            if not sg_exact:
                missed_kinds["secretgate"][s["kind"]] += 1
            if not (ln in ds_lines or ds_exact):
                missed_kinds["detect-secrets"][s["kind"]] += 1

    mb = total_bytes / 1e6
    print(f"corpus: {len(docs)} documents, {mb:.2f} MB, {stats['secretgate']['planted']} planted secrets, "
          f"{stats['secretgate']['negatives']} negative documents")
    print(f"{'tool':<16}{'recall exact':>14}{'recall line':>13}{'altered neg.':>14}{'seconds':>10}{'MB/s':>10}")
    for name, secs in (("secretgate", t_sg), ("detect-secrets", t_ds)):
        s = stats[name]
        print(f"{name:<16}{s['exact'] / s['planted']:>14.4f}{s['line'] / s['planted']:>13.4f}"
              f"{s['altered']:>9}/{s['negatives']:<4}{secs:>10.2f}{mb / secs:>10.2f}")
    print(f"speed ratio secretgate / detect-secrets: {t_ds / t_sg:.1f}x (wall clock, whole process incl. startup "
          f"and rule compilation, pinned to one core)")
    for name in missed_kinds:
        top = ", ".join(f"{k}:{n}" for k, n in missed_kinds[name].most_common(8))
        print(f"top misses {name}: {top or '-'}")


if __name__ == "__main__":
    main()
