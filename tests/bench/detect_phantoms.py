#!/usr/bin/python3
"""detect-nodules on chest phantoms: sensitivity, false positives, diameter
and type accuracy against the phantom's truth, and a LUNA16 FROC/CPM from
`medseg validate detect` over nodules >= 5 mm (smaller ones are excluded
findings, as LUNA16 treats non-nodules and nodules < 3 mm).

usage: detect_phantoms.py MEDSEG [--seeds N] [--first S] [--nodules K] [--keep DIR] [--json OUT]
A detection hits a truth nodule when its centre lies within the nodule's
radius (the LUNA16 rule); diameters are compared for nodules >= 6 mm, with
the nominal diameter and with the truth mask measured the way the report
measures (mean of the long and short axes of the largest axial section).
"""
import argparse, csv, json, math, os, subprocess, sys, tempfile


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"{' '.join(cmd)}: exit {r.returncode}\n{r.stderr}")
    return r


def mask_diameters(path):
    """Each truth nodule measured as Lung-RADS measures (and detect-nodules
    reports): on its largest axial section, the longest chord and the width
    across it, plus one voxel, averaged. The phantom's nodules are lobulated,
    so this differs from the nominal diameter (twice the mean radius) by up
    to a millimetre or so. {} without nibabel."""
    try:
        import nibabel as nib
        import numpy as np
    except ImportError:
        return {}
    im = nib.load(path)
    lab = np.asarray(im.dataobj)
    sp = np.array(im.header.get_zooms()[:2], float)
    out = {}
    for k in range(1, int(lab.max()) + 1):
        m = lab == k
        if not m.any():
            continue
        z = int(np.argmax(m.sum((0, 1))))
        pts = np.argwhere(m[:, :, z]) * sp
        if len(pts) > 1500:
            pts = pts[np.linspace(0, len(pts) - 1, 1500).astype(int)]
        d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
        i, j = np.unravel_index(np.argmax(d), d.shape)
        lng = d[i, j]
        u = (pts[j] - pts[i]) / max(lng, 1e-9)
        w = pts @ np.array([-u[1], u[0]])
        out[k] = 0.5 * (lng + w.max() - w.min()) + sp[0]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("medseg")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--nodules", type=int, default=6)
    ap.add_argument("--keep")
    ap.add_argument("--json")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    tmp = a.keep or tempfile.mkdtemp(prefix="detect-phantoms-")
    os.makedirs(tmp, exist_ok=True)
    truth_rows, excluded_rows, cand_rows, scans = [], [], [], []
    hits = total = fps = 0
    big_err, mask_err, types_ok, types_n, seconds = [], [], 0, 0, []
    for seed in range(a.first, a.first + a.seeds):
        ct, truth, out = f"{tmp}/ct{seed}.nii.gz", f"{tmp}/truth{seed}.csv", f"{tmp}/out{seed}"
        mask = f"{tmp}/mask{seed}.nii.gz"
        if not os.path.exists(ct) or not os.path.exists(mask):
            run([a.medseg, "phantom", "chest", "-o", ct, "--truth", truth, "--mask", mask, "--seed", str(seed),
                 "--nodules", str(a.nodules), "-q"])
        masks = mask_diameters(mask)
        if os.path.exists(out):
            subprocess.run(["rm", "-rf", out])
        uid = f"seed{seed}"
        run([a.medseg, "detect-nodules", ct, "-o", out, "--seriesuid", uid, "--no-sr", "-q"])
        rep = json.load(open(f"{out}/report.json"))
        seconds.append(rep["timings"]["total"])
        scans.append(uid)
        gt = list(csv.DictReader(open(truth)))
        for g in gt:
            row = [uid, g["coordX"], g["coordY"], g["coordZ"], g["diameter_mm"]]
            (truth_rows if float(g["diameter_mm"]) >= 5 else excluded_rows).append(row)
        for row in csv.DictReader(open(f"{out}/candidates.csv")):
            cand_rows.append([uid, row["coordX"], row["coordY"], row["coordZ"], row["probability"]])
        used = set()
        for gi, g in enumerate(gt):
            c = [float(g[k]) for k in ("coordX", "coordY", "coordZ")]
            d = float(g["diameter_mm"])
            if d < 5:
                continue
            total += 1
            best = None
            for n in rep["nodules"]:
                dist = math.dist(c, n["center_lps"])
                if dist <= d / 2 and (best is None or dist < best[0]):
                    best = (dist, n)
            if best:
                hits += 1
                n = best[1]
                used.add(n["id"])
                if d >= 6:
                    big_err.append(abs(n["diameter_mm"] - d))
                    if masks and gi + 1 in masks:
                        mask_err.append(abs(n["diameter_mm"] - masks[gi + 1]))
                types_n += 1
                types_ok += n["type"] == g["type"]
                if a.verbose:
                    print(f"  seed {seed} hit d={d:.1f} got {n['diameter_mm']:.1f} {g['type']}->{n['type']} "
                          f"p={n['probability']:.2f} jp={g['juxtapleural']}")
            elif a.verbose:
                print(f"  seed {seed} MISS {g['type']} d={d:.1f} jp={g['juxtapleural']} at {c}")
        for n in rep["nodules"]:
            near_small = any(math.dist([float(g[k]) for k in ("coordX", "coordY", "coordZ")], n["center_lps"])
                             <= float(g["diameter_mm"]) / 2 for g in gt)
            if n["id"] not in used and not near_small:
                fps += 1
                if a.verbose:
                    print(f"  seed {seed} FP {n['center_lps']} d={n['diameter_mm']} p={n['probability']} "
                          f"sph={n['sphericity']} {n['type']}")
    with open(f"{tmp}/annotations.csv", "w") as f:
        w = csv.writer(f)
        w.writerow(["seriesuid", "coordX", "coordY", "coordZ", "diameter_mm"])
        w.writerows(truth_rows)
    with open(f"{tmp}/excluded.csv", "w") as f:
        w = csv.writer(f)
        w.writerow(["seriesuid", "coordX", "coordY", "coordZ", "diameter_mm"])
        w.writerows(excluded_rows)
    with open(f"{tmp}/candidates.csv", "w") as f:
        w = csv.writer(f)
        w.writerow(["seriesuid", "coordX", "coordY", "coordZ", "probability"])
        w.writerows(cand_rows)
    with open(f"{tmp}/scans.txt", "w") as f:
        f.write("\n".join(scans) + "\n")
    froc = json.loads(run([a.medseg, "validate", "detect", "--pred", f"{tmp}/candidates.csv", "--ref",
                           f"{tmp}/annotations.csv", "--exclude", f"{tmp}/excluded.csv", "--scans", f"{tmp}/scans.txt", "--json",
                           "--bootstrap", "0"]).stdout)
    res = {"scans": len(scans), "nodules_ge5mm": total, "sensitivity_ge5mm": hits / max(total, 1),
           "false_positives_per_scan": fps / len(scans),
           "diameter_abs_error_ge6mm": {"mean": sum(big_err) / max(len(big_err), 1), "max": max(big_err, default=0)},
           "diameter_abs_error_vs_truth_mask_ge6mm": {
               "mean": sum(mask_err) / max(len(mask_err), 1), "max": max(mask_err, default=0),
               "within_1mm": sum(e <= 1.0 for e in mask_err) / max(len(mask_err), 1)},
           "type_accuracy": types_ok / max(types_n, 1), "cpm": froc.get("cpm"),
           "froc_sensitivity_ge5mm": froc.get("sensitivity_at"),
           "seconds_per_scan": sum(seconds) / len(seconds)}
    print(json.dumps(res, indent=1))
    if a.json:
        json.dump(res, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
