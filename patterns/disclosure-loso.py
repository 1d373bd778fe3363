"""Leave-one-set-out for the rules (their unit scores refitted on the other sets by
patterns/disclosure.py's `fit`), the learned text model (out-of-fold probabilities from the
ignored test `disclosure_text_model_leave_one_set_out`) and the two combined as
`DisclosureSet::scan` combines them (a rule finding stands unless the model's probability
is below `veto`; the model alone flags at `alone` or above). See docs/benchmarks.md.

    python3 patterns/disclosure-loso.py FEATURES OOF [VETO ALONE] [--shipped-units]
    python3 patterns/disclosure-loso.py --replay SETS OOF [VETO ALONE]

FEATURES: the units of every prompt of the sets (`write_disclosure_features` with
SECRETGATE_FEATURES_SETS and SECRETGATE_FEATURES_OUT); OOF: a line per prompt, the same
prompts in the same order: its probability and its words (the model flags alone only texts
of MIN_WORDS words or more, as `text::ALONE_MIN_WORDS`). With `--shipped-units` the rule
scores are not refitted per fold: they are fitted once on disclosure.py's TRAIN_SETS (as
shipped), and only the other sets are scored. Pure Python; the rules' fits take a minute or
so per set. `--replay` needs no refit: the test's columns say what the rules found and
what the model cannot veto, so it replays `scan` exactly (SETS: the same comma-separated
paths the test read).
"""
import json, os, sys


def replay(paths, oof, veto, alone):
    """`scan` replayed from the columns the leave-one-set-out test writes (probability, words,
    rules found it, a finding the model cannot veto, bytes, rule matches): each set outside
    disclosure.py's TRAIN_SETS, and pooled."""
    labels, names = [], []
    for path in paths:
        name = os.path.splitext(os.path.basename(path))[0]
        for line in open(path, encoding="utf-8"):
            if line.strip():
                labels.append(json.loads(line)["label"] == "disclosure")
                names.append(name)
    cols = [line.split() for line in open(oof, encoding="utf-8")]
    assert len(cols) == len(labels), "OOF and the sets must list the same prompts"
    verdict = []
    for c in cols:
        p, words, ruled, disguised, size = float(c[0]), int(c[1]), c[2] == "1", c[3] == "1", int(c[4])
        # As `DisclosureSet::scan_side` and the `text` constants: 64 KiB, 8 words, 6 KiB.
        kept = disguised or (ruled and (p >= veto or size > 64 * 1024))
        verdict.append(kept or (not ruled and p >= alone and words >= 8 and size <= 6 * 1024))
    scored = [n for n in dict.fromkeys(names) if n not in ("dev", "holdout", "holdout2", "holdout3", "holdout4", "holdout5")]
    print(f"| held-out set | veto {veto}, alone {alone} |\n|---|---:|")
    for name in scored + ["pooled"]:
        members = [i for i, n in enumerate(names) if n == name or (name == "pooled" and n in scored)]
        pos = [i for i in members if labels[i]]
        neg = [i for i in members if not labels[i]]
        found, wrong = sum(verdict[i] for i in pos), sum(verdict[i] for i in neg)
        recall = f"{found} / {len(pos)} = {found / len(pos):.3f}" if pos else "—"
        print(f"| {name} | {recall} / {wrong} / {len(neg)} = {100 * wrong / max(len(neg), 1):.1f} % |")


if sys.argv[1:2] == ["--replay"]:
    rest = sys.argv[2:]
    replay(rest[0].split(","), rest[1], *(map(float, rest[2:4]) if len(rest) > 3 else (0.4, 0.8)))
    sys.exit(0)

shipped = "--shipped-units" in sys.argv
args = [a for a in sys.argv[1:] if a != "--shipped-units"]
features, oof = args[0], args[1]
veto, alone = (float(args[2]), float(args[3])) if len(args) > 3 else (0.5, 0.8)
MIN_WORDS = 8
os.environ["SECRETGATE_FEATURES"] = features
here = os.path.dirname(os.path.abspath(__file__))
source = open(os.path.join(here, "disclosure.py"), encoding="utf-8").read()
# The generator's definitions, without its fit of the shipped scores and its writing.
scope = {"__file__": os.path.join(here, "disclosure.py")}
argv, sys.argv = sys.argv, ["disclosure.py"]
exec(source[: source.index("learned, weights = fit(")], scope)
sys.argv = argv
rows, fit, flagged, prior = scope["rows"], scope["fit"], scope["flagged"], scope["prior"]
lines = [line.split() for line in open(oof, encoding="utf-8")]
probability = [float(l[0]) for l in lines]
words = [int(l[1]) for l in lines]
assert len(probability) == len(rows), "OOF and FEATURES must list the same prompts"

sets = list(dict.fromkeys(r["set"] for r in rows))
by_rules = [False] * len(rows)
if shipped:
    train_sets = scope["TRAIN_SETS"]
    model = fit([r for r in rows if r["set"] in train_sets], prior)
    by_rules = [flagged(model, r) for r in rows]
    sets = [s for s in sets if s not in train_sets]
else:
    for left in sets:
        model = fit([r for r in rows if r["set"] != left], prior)
        for i, r in enumerate(rows):
            if r["set"] == left:
                by_rules[i] = flagged(model, r)
        print("fold", left, "fitted", file=sys.stderr, flush=True)

sure = [p >= alone and w >= MIN_WORDS for p, w in zip(probability, words)]
verdicts = {
    "rules (units)": by_rules,
    "text model alone (>= 0.5)": [p >= 0.5 for p in probability],
    f"rules, model as veto ({veto})": [u and p >= veto for u, p in zip(by_rules, probability)],
    f"rules, veto {veto}, model alone at {alone} ({MIN_WORDS}+ words)": [(u and p >= veto) or s for u, p, s in zip(by_rules, probability, sure)],
}


def cell(verdict, members):
    pos = [i for i in members if rows[i]["y"]]
    neg = [i for i in members if not rows[i]["y"]]
    found, wrong = sum(verdict[i] for i in pos), sum(verdict[i] for i in neg)
    recall = f"{found} / {len(pos)} = {found / len(pos):.3f}" if pos else "—"
    return f"{recall} / {wrong} / {len(neg)} = {100 * wrong / max(len(neg), 1):.1f} %"


print("| held-out set | " + " | ".join(verdicts) + " |")
print("|---|" + "---:|" * len(verdicts))
for name in sets + ["pooled"]:
    members = [i for i, r in enumerate(rows) if (name == "pooled" and r["set"] in sets) or name == r["set"]]
    print(f"| {name} | " + " | ".join(cell(v, members) for v in verdicts.values()) + " |")
