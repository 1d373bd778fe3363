"""Leave-one-set-out for the rules (their unit scores refitted on the other sets by
patterns/disclosure.py's `fit`), the learned text model (out-of-fold probabilities from the
ignored test `disclosure_text_model_leave_one_set_out`) and the two combined as
`DisclosureSet::scan` combines them (a rule finding stands unless the model's probability
is below `veto`; the model alone flags at `alone` or above). See docs/benchmarks.md.

    python3 patterns/disclosure-loso.py FEATURES OOF [VETO ALONE]

FEATURES: the units of every prompt of the sets (`write_disclosure_features` with
SECRETGATE_FEATURES_SETS and SECRETGATE_FEATURES_OUT); OOF: one probability per line, the
same prompts in the same order. Pure Python; the rules' fits take a minute or so per set.
"""
import json, os, sys

features, oof = sys.argv[1], sys.argv[2]
veto, alone = (float(sys.argv[3]), float(sys.argv[4])) if len(sys.argv) > 4 else (0.2, 0.7)
os.environ["SECRETGATE_FEATURES"] = features
here = os.path.dirname(os.path.abspath(__file__))
source = open(os.path.join(here, "disclosure.py"), encoding="utf-8").read()
# The generator's definitions, without its fit of the shipped scores and its writing.
scope = {"__file__": os.path.join(here, "disclosure.py")}
argv, sys.argv = sys.argv, ["disclosure.py"]
exec(source[: source.index("learned, weights = fit(")], scope)
sys.argv = argv
rows, fit, flagged, prior = scope["rows"], scope["fit"], scope["flagged"], scope["prior"]
probability = [float(line) for line in open(oof, encoding="utf-8")]
assert len(probability) == len(rows), "OOF and FEATURES must list the same prompts"

sets = list(dict.fromkeys(r["set"] for r in rows))
by_rules = [False] * len(rows)
for left in sets:
    model = fit([r for r in rows if r["set"] != left], prior)
    for i, r in enumerate(rows):
        if r["set"] == left:
            by_rules[i] = flagged(model, r)
    print("fold", left, "fitted", file=sys.stderr, flush=True)

verdicts = {
    "rules (units)": by_rules,
    "text model alone (>= 0.5)": [p >= 0.5 for p in probability],
    f"rules, model as veto ({veto})": [u and p >= veto for u, p in zip(by_rules, probability)],
    f"rules, veto {veto}, model alone at {alone}": [(u and p >= veto) or p >= alone for u, p in zip(by_rules, probability)],
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
    members = [i for i, r in enumerate(rows) if name in ("pooled", r["set"])]
    print(f"| {name} | " + " | ".join(cell(v, members) for v in verdicts.values()) + " |")
