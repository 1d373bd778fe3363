"""Leave-one-set-out for the rules (their unit scores refitted on the other sets by
patterns/disclosure.py's `fit`), the learned text model (out-of-fold probabilities from the
ignored test `disclosure_text_model_leave_one_set_out`) and the two combined as
`DisclosureSet::scan` combines them (a rule finding stands unless the model's probability
is below `veto`; the model alone flags at `alone` or above). See docs/benchmarks.md.

    python3 patterns/disclosure-loso.py FEATURES OOF [VETO ALONE] [--shipped-units]

FEATURES: the units of every prompt of the sets (`write_disclosure_features` with
SECRETGATE_FEATURES_SETS and SECRETGATE_FEATURES_OUT); OOF: a line per prompt, the same
prompts in the same order: its probability and its words (the model flags alone only texts
of MIN_WORDS words or more, as `text::ALONE_MIN_WORDS`). With `--shipped-units` the rule
scores are not refitted per fold: they are fitted once on disclosure.py's TRAIN_SETS (as
shipped), and only the other sets are scored. Pure Python; the rules' fits take a minute or
so per set.
"""
import json, os, sys

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
