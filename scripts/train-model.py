#!/usr/bin/env python3
"""Trains data/classify.model, the weights of foid's reply classifier.

A multinomial logistic regression with L2 regularisation over the features
foid itself extracts (`foictl classify --features`: words, word pairs and
the rules of data/classify.rules that match), fitted on the TRAINING part of
tests/corpus/labelled only.  The test part is never read here except by
--eval, which reports figures and changes nothing.

    scripts/train-model.py                 # train, write data/classify.model
    scripts/train-model.py --cv            # 5-fold cross-validation on train: the
                                           # rules, the model and ways of combining them
    scripts/train-model.py --eval          # figures on the test part

Deterministic: the same corpus and foictl give the same model, byte for byte.
"""
import argparse
import glob
import math
import os
import subprocess
import sys
import tempfile

KINDS = ["acknowledgement", "clarification", "extension", "refusal",
         "response", "other"]
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(TOP, "tests", "corpus", "labelled")


def labels(part):
    """(path, kind, regime) of every labelled file of part ('train'/'test')."""
    rows = []
    for tsv in sorted(glob.glob(os.path.join(CORPUS, "labels-*.tsv"))):
        with open(tsv, encoding="utf-8") as f:
            head = f.readline().rstrip("\n").split("\t")
            for n, line in enumerate(f, 2):
                if not line.strip():
                    continue
                row = dict(zip(head, line.rstrip("\n").split("\t")))
                if row.get("kind") not in KINDS:
                    sys.exit(f"{tsv}:{n}: unknown kind {row.get('kind')!r}")
                if row["file"].split("/")[0] == part:
                    rows.append((os.path.join(CORPUS, row["file"]), row["kind"],
                                 row.get("regime", "")))
    return rows


def threaded(rows, tmp):
    """Copies of the files with {{reference}} filled in as foid's own."""
    out = []
    for i, (path, _, _) in enumerate(rows):
        with open(path, "rb") as f:
            raw = f.read().replace(b"{{reference}}", b"FOI-CORPUS-%03d" % (i % 1000))
        dst = os.path.join(tmp, "%04d.eml" % i)
        with open(dst, "wb") as f:
            f.write(raw)
        out.append(dst)
    return out


def foictl(args, files, rules=None):
    exe = os.environ.get("FOICTL", os.path.join(TOP, "build", "foictl"))
    rules = rules or os.path.join(TOP, "data", "classify.rules")
    res = subprocess.run([exe, "classify", "--rules", rules] + args + files,
                         capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit("foictl classify failed: " + res.stderr.strip())
    return [line.split("\t") for line in res.stdout.splitlines()]


def features(rows):
    with tempfile.TemporaryDirectory() as tmp:
        files = threaded(rows, tmp)
        return [set(line[1].split()) for line in foictl(["--features"], files)]


def rule_verdicts(rows):
    """What the rules alone say of each reply: (kind, rule), read from foictl
    with a copy of the rules in a directory without a model."""
    with tempfile.TemporaryDirectory() as tmp:
        rules = os.path.join(tmp, "classify.rules")
        with open(os.path.join(TOP, "data", "classify.rules"), "rb") as f, \
                open(rules, "wb") as out:
            out.write(f.read())
        return [(line[1], line[3]) for line in foictl([], threaded(rows, tmp), rules)]


def fit(docs, ys, l2, iters=300):
    """Full-batch gradient descent with Adagrad steps; returns (bias, W)."""
    k = len(KINDS)
    # Features seen in one training reply only teach the model that reply.
    df = {}
    for d in docs:
        for f in d:
            df[f] = df.get(f, 0) + 1
    names = sorted(f for f, c in df.items() if c >= 2)
    index = {f: i for i, f in enumerate(names)}
    rows = [[index[f] for f in d if f in index] for d in docs]
    counts = [ys.count(c) for c in range(k)]
    # Each kind weighs the same in the loss, however many replies it has.
    cw = [len(ys) / (k * c) if c else 0.0 for c in counts]
    W = [[0.0] * k for _ in names]
    b = [0.0] * k
    gW2 = [[1e-8] * k for _ in names]
    gb2 = [1e-8] * k
    rate = 0.5
    for _ in range(iters):
        gW = [[l2 * w for w in row] for row in W]
        gb = [0.0] * k
        for r, y in zip(rows, ys):
            z = b[:]
            for i in r:
                wi = W[i]
                for c in range(k):
                    z[c] += wi[c]
            m = max(z)
            e = [math.exp(v - m) for v in z]
            s = sum(e)
            for c in range(k):
                g = cw[y] * (e[c] / s - (1.0 if c == y else 0.0))
                gb[c] += g
                for i in r:
                    gW[i][c] += g
        n = len(rows)
        for c in range(k):
            g = gb[c] / n
            gb2[c] += g * g
            b[c] -= rate * g / math.sqrt(gb2[c])
        for i in range(len(names)):
            for c in range(k):
                g = gW[i][c] / n
                if g:
                    gW2[i][c] += g * g
                    W[i][c] -= rate * g / math.sqrt(gW2[i][c])
    return names, b, W


def probabilities(model, d):
    names, b, W = model
    index = {f: i for i, f in enumerate(names)}
    z = b[:]
    for f in d:
        i = index.get(f)
        if i is not None:
            for c in range(len(KINDS)):
                z[c] += W[i][c]
    m = max(z)
    e = [math.exp(v - m) for v in z]
    return [v / sum(e) for v in e]


def predict(model, d):
    p = probabilities(model, d)
    return max(range(len(KINDS)), key=lambda c: p[c])


def write_model(path, model, ntrain, l2):
    names, b, W = model
    lines = ["# foid classification model: multinomial logistic regression.",
             "# Written by scripts/train-model.py from the training part of",
             "# tests/corpus/labelled (%d replies, l2=%g).  Do not edit: retrain."
             % (ntrain, l2),
             "kinds " + " ".join(KINDS),
             "bias " + " ".join("%.4f" % v for v in b)]
    for f, row in zip(names, W):
        if max(abs(v) for v in row) >= 0.001:
            lines.append(f + " " + " ".join("%.4f" % v for v in row))
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def report(title, pairs):
    """Prints accuracy per kind; pairs are (true, predicted) kind names."""
    right = sum(t == p for t, p in pairs)
    print("%s: %d of %d right (%.1f%%)" % (title, right, len(pairs),
                                           100.0 * right / max(1, len(pairs))))
    for k in KINDS:
        n = sum(t == k for t, _ in pairs)
        r = sum(t == k and p == k for t, p in pairs)
        if n:
            print("  %-16s %3d of %3d" % (k, r, n))
    # An answer taken for a kind that leaves its request open to chasers.
    left_open = sum(t in ("refusal", "response") and p in ("acknowledgement", "extension", "other")
                    for t, p in pairs)
    print("  answers left open to chasing: %d" % left_open)
    wrong = [(t, p) for t, p in pairs if t != p]
    for t, p in sorted(set(wrong)):
        print("  confused: %s taken for %s x%d" % (t, p, wrong.count((t, p))))
    return right, len(pairs)


def combined(rule, probs, way):
    """The kind foid gives a reply: rule is the rules' (kind, rule), probs
    the model's probabilities, way how the two are combined."""
    spoke = not rule[1].startswith("fallback:")
    best = max(range(len(KINDS)), key=lambda c: probs[c])
    if way == "rules-first":
        return rule[0] if spoke else KINDS[best]
    if way.startswith("model-unless-unsure:"):
        unsure = probs[best] < float(way.split(":")[1])
        return rule[0] if spoke and unsure else KINDS[best]
    return KINDS[best]


# foid's way is model-unless-unsure:CLASSIFY_MODEL_SURE (daemon/classify.c).
WAYS = ["rules-first", "model", "model-unless-unsure:0.4", "model-unless-unsure:0.5",
        "model-unless-unsure:0.6", "model-unless-unsure:0.7",
        "model-unless-unsure:0.8", "model-unless-unsure:0.9"]


def cross_validate(rows, docs, ys, a):
    """5-fold cross-validation on train of the model alone, the rules alone
    and the ways of combining them; prints each figure per kind."""
    verdicts = rule_verdicts(rows)
    pairs = {w: [] for w in WAYS}
    for fold in range(5):
        tr = [i for i in range(len(rows)) if i % 5 != fold]
        m = fit([docs[i] for i in tr], [ys[i] for i in tr], a.l2)
        for i in range(fold, len(rows), 5):
            p = probabilities(m, docs[i])
            for w in WAYS:
                got = combined(verdicts[i], p, w)
                pairs[w].append((i, KINDS[ys[i]], got))
    report("rules alone on train", [(KINDS[y], v[0]) for y, v in zip(ys, verdicts)])
    for w in WAYS:
        report("5-fold cross-validation on train, %s (l2=%g)" % (w, a.l2),
               [(t, g) for _, t, g in pairs[w]])
    if a.cv_out:
        for i, t, g in sorted(pairs[a.way]):
            a.cv_out.write("%s\t%s\t%s\t%s\n" % (os.path.relpath(rows[i][0], CORPUS),
                                                  t, g, verdicts[i][1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--l2", type=float, default=0.1)
    ap.add_argument("--cv", action="store_true", help="cross-validate on train")
    ap.add_argument("--eval", action="store_true", help="figures on the test part")
    ap.add_argument("--cv-out", type=argparse.FileType("w"),
                    help="with --cv: each training reply's label and held-out verdict")
    ap.add_argument("--way", choices=WAYS, default="model-unless-unsure:0.7",
                    help="with --cv-out: the combination whose verdicts are written")
    ap.add_argument("--drop", help="with --cv: feature families to leave out, e.g. b:,s: (w: b: s: r: len: att)")
    ap.add_argument("--output", default=os.path.join(TOP, "data", "classify.model"))
    a = ap.parse_args()
    if a.eval:
        rows = labels("test")
        with tempfile.TemporaryDirectory() as tmp:
            got = foictl([], threaded(rows, tmp))
        report("test part", [(k, g[1]) for (_, k, _), g in zip(rows, got)])
        return
    rows = labels("train")
    if not rows:
        sys.exit("no training replies under " + CORPUS)
    docs = features(rows)
    if a.drop:
        drop = tuple(a.drop.split(","))
        docs = [set(f for f in d if not f.startswith(drop)) for d in docs]
    ys = [KINDS.index(k) for _, k, _ in rows]
    if a.cv:
        cross_validate(rows, docs, ys, a)
        return
    model = fit(docs, ys, a.l2)
    write_model(a.output, model, len(rows), a.l2)
    report("training part (fit)", [(KINDS[y], KINDS[predict(model, d)])
                                   for d, y in zip(docs, ys)])
    print("wrote", a.output)


if __name__ == "__main__":
    main()
