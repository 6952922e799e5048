"""validate classify against scikit-learn (roc_auc_score, confusion_matrix,
cohen_kappa_score, brier_score_loss) and a direct O(mn) implementation of
DeLong's variance written here; rows joined by id in any order; missing
and duplicate ids are exit 3 naming them."""
import json
import os
import xml.etree.ElementTree as ET

from common import Checker, medseg, need, tmpdir

np, sklearn = need("numpy", "sklearn")
from sklearn.metrics import brier_score_loss, cohen_kappa_score, confusion_matrix, roc_auc_score  # noqa: E402

T = tmpdir()
C = Checker()


def write(name, header, rows):
    p = os.path.join(T, name)
    with open(p, "w") as f:
        f.write(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return p


def delong_direct(scores, labels):
    x, y = scores[labels == 1], scores[labels == 0]
    psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
    v10, v01 = psi.mean(1), psi.mean(0)
    auc = psi.mean()
    var = v10.var(ddof=1) / len(x) + v01.var(ddof=1) / len(y)
    se = np.sqrt(var)
    return auc, var, max(0, auc - 1.959963984540054 * se), min(1, auc + 1.959963984540054 * se)


def run(scores, labels, *extra, shuffle=0):
    ids = [f"case{i:04d}" for i in range(len(scores))]
    order = np.random.default_rng(shuffle).permutation(len(ids)) if shuffle else np.arange(len(ids))
    s = write("scores.csv", "id,score", [(ids[i], repr(float(scores[i]))) for i in order])
    l = write("labels.csv", "label,id", [(int(labels[i]), ids[i]) for i in range(len(ids))])
    return json.loads(medseg("validate", "classify", "--pred", s, "--ref", l, "--json", *extra).stdout)


def check_case(name, scores, labels, t=0.5):
    r = run(scores, labels, "--threshold", str(t), shuffle=7)
    auc = roc_auc_score(labels, scores)
    C.check(abs(r["auc"] - auc) <= 1e-12, f"{name}: AUC {r['auc']} vs sklearn {auc}")
    dauc, var, lo, hi = delong_direct(scores, labels)
    C.check(abs(r["auc_variance"] - var) <= 1e-12 and abs(r["auc_ci"][0] - lo) <= 1e-12
            and abs(r["auc_ci"][1] - hi) <= 1e-12, f"{name}: DeLong {r['auc_variance']} vs {var}")
    pred = (scores >= t).astype(int)
    tn, fp, fn, tp = confusion_matrix(labels, pred, labels=[0, 1]).ravel()
    a = r["at_threshold"]
    C.check((a["tp"], a["fp"], a["tn"], a["fn"]) == (tp, fp, tn, fn), f"{name}: confusion matrix")
    C.check(abs(a["sensitivity"] - tp / (tp + fn)) < 1e-12 and abs(a["specificity"] - tn / (tn + fp)) < 1e-12,
            f"{name}: sensitivity/specificity")
    if tp + fp:
        C.check(abs(a["ppv"] - tp / (tp + fp)) < 1e-12, f"{name}: PPV")
    if tn + fn:
        C.check(abs(a["npv"] - tn / (tn + fn)) < 1e-12, f"{name}: NPV")
    C.check(abs(a["kappa"] - cohen_kappa_score(labels, pred)) < 1e-12, f"{name}: kappa")
    if scores.min() >= 0 and scores.max() <= 1:
        C.check(abs(r["brier"] - brier_score_loss(labels, scores)) < 1e-12, f"{name}: Brier")
    else:
        C.check(r["brier"] is None, f"{name}: Brier is null for scores outside [0, 1]")
    # Youden: the best J over all thresholds, ties to the highest threshold.
    best, best_t = -1, None
    for th in sorted(set(scores), reverse=True):
        p = scores >= th
        j = (p & (labels == 1)).sum() / (labels == 1).sum() - (p & (labels == 0)).sum() / (labels == 0).sum()
        if j > best + 1e-15:
            best, best_t = j, th
    C.check(r["at_youden"]["threshold"] == best_t and abs(r["at_youden"]["youden_j"] - best) < 1e-12,
            f"{name}: Youden threshold {r['at_youden']['threshold']} vs {best_t}")


def cases():
    rng = np.random.default_rng(1)
    for trial in range(6):
        n = int(rng.integers(20, 400))
        labels = (rng.random(n) < rng.uniform(0.2, 0.7)).astype(int)
        scores = rng.normal(labels * rng.uniform(0, 2), 1)
        if trial % 2:
            scores = np.round(1 / (1 + np.exp(-scores)), 1)   # heavy ties, in [0, 1]
        check_case(f"random {trial}{' tied' if trial % 2 else ''}", scores, labels)
    check_case("perfect", np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1]))
    check_case("all tied", np.full(10, 0.5), np.array([0, 1] * 5))


def plot_and_bad():
    rng = np.random.default_rng(3)
    labels = (rng.random(80) < 0.4).astype(int)
    scores = 1 / (1 + np.exp(-rng.normal(labels * 1.5, 1)))
    s = write("s.csv", "id,score", [(f"i{i}", scores[i]) for i in range(80)])
    l = write("l.csv", "id,label", [(f"i{i}", labels[i]) for i in range(80)])
    svg = os.path.join(T, "roc.svg")
    medseg("validate", "classify", "--pred", s, "--ref", l, "--plot", svg, "--bootstrap", "200")
    root = ET.parse(svg).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    texts = " ".join(t.text or "" for t in root.iter(ns + "text"))
    C.check("False positive rate" in texts and "AUC" in texts and "Youden" in texts, "ROC plot labelled")
    C.check(any(p.get("fill-opacity") for p in root.iter(ns + "path")), "ROC band shaded")
    dup = write("dup.csv", "id,score", [("i0", 0.1), ("i1", 0.2), ("i0", 0.3)])
    r = medseg("validate", "classify", "--pred", dup, "--ref", l, check=False)
    C.check(r.returncode == 3 and "i0" in r.stderr and "dup.csv:4" in r.stderr, f"duplicate id: {r.stderr.strip()}")
    few = write("few.csv", "id,score", [(f"i{i}", 0.5) for i in range(78)])
    r = medseg("validate", "classify", "--pred", few, "--ref", l, check=False)
    C.check(r.returncode == 3 and "i78" in r.stderr and "i79" in r.stderr, f"missing ids: {r.stderr.strip()}")
    badl = write("badl.csv", "id,label", [("i0", 1), ("i1", 2)])
    r = medseg("validate", "classify", "--pred", s, "--ref", badl, check=False)
    C.check(r.returncode == 3 and "badl.csv:3" in r.stderr, f"label 2: {r.stderr.strip()}")
    s2 = write("s2.csv", "id,score", [("a", 0.9), ("b", 0.1), ("c", 0.2)])
    l2 = write("l2.csv", "id,label", [("a", 1), ("b", 0), ("c", 0)])
    r = json.loads(medseg("validate", "classify", "--pred", s2, "--ref", l2, "--json").stdout)
    C.check(r["auc"] == 1 and r["auc_ci"] == [None, None], "one positive case: DeLong interval undefined (null)")
    one = write("one.csv", "id,label", [(f"i{i}", 1) for i in range(80)])
    r = medseg("validate", "classify", "--pred", s, "--ref", one, check=False)
    C.check(r.returncode == 3 and "negative" in r.stderr, "no negatives: exit 3")


cases()
plot_and_bad()
C.done()
