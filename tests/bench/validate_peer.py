#!/usr/bin/python3
"""Peer for tests/bench/validate.sh: HD95/ASSD of a label pair by the same
definitions in NumPy/SciPy (tests/oracle/surface_ref.py), timed.
Usage: validate_peer.py PRED.nii REF.nii  -> JSON {seconds, hd95, assd}"""
import json
import os
import sys
import time

import numpy as np
import nibabel as nib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oracle"))
from surface_ref import reference_metrics  # noqa: E402

t0 = time.time()
p, r = nib.load(sys.argv[1]), nib.load(sys.argv[2])
spacing = tuple(float(s) for s in p.header.get_zooms()[:3])
m = reference_metrics(np.asarray(p.dataobj) == 1, np.asarray(r.dataobj) == 1, spacing)
print(json.dumps({"seconds": round(time.time() - t0, 2), "hd95": m["hd95"], "assd": m["assd"]}))
