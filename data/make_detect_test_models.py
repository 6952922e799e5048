#!/usr/bin/python3
"""Writes the tiny deterministic test models of detect-nodules and their cards.

- lung_threshold3d (segment-3d, input [1, 1, 48, 64, 64], window -400/1200):
  logits 40 * (0.4 - x) of the normalised image x inside a central ellipse
  (in-plane half-axes 0.38 and 0.24 of the field), -20 elsewhere: "lung" is
  HU below -520 inside the chest phantom's body, never the air around it.
- lung_empty3d (segment-3d): answers background everywhere (-20), so a run
  with it must stop with "no lungs found".
- patch_density (patch-classifier, input [1, 1, 16, 16, 16], window
  -400/1200, 1 mm): logit 10 * (mean of the centre 4^3 - 0.45): dense
  centres are nodules.
- patch_wrong_size (patch-classifier): its card says [16, 16, 16] but the
  model takes only [8, 8, 8], so loading it must be refused.

Run with Debian's python3-torch:  /usr/bin/python3 data/make_detect_test_models.py
"""
import json
import os
import sys

import torch


class LungThreshold(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d, h, w = x.shape[2], x.shape[3], x.shape[4]
        ys = torch.arange(h, dtype=torch.float32).view(1, 1, 1, h, 1) / h
        xs = torch.arange(w, dtype=torch.float32).view(1, 1, 1, 1, w) / w
        inside = ((xs - 0.5) / 0.38) ** 2 + ((ys - 0.5) / 0.24) ** 2 < 1.0
        logits = 40.0 * (0.4 - x)
        return torch.where(inside, logits, torch.full_like(logits, -20.0))


class LungEmpty(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full_like(x, -20.0)


class PatchDensity(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[2] != 16 or x.shape[3] != 16 or x.shape[4] != 16:
            raise ValueError("PatchDensity takes [1, 1, 16, 16, 16]")
        c = x[:, :, 6:10, 6:10, 6:10].mean()
        return (10.0 * (c - 0.45)).view(1, 1)


class PatchWrongSize(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[2] != 8:
            raise ValueError("PatchWrongSize takes [1, 1, 8, 8, 8]")
        return x.mean().view(1, 1)


WINDOW = {"type": "window", "center": -400, "width": 1200}
MODELS = {
    "lung_threshold3d": (LungThreshold(), {"contract": "segment-3d", "name": "lung threshold test model",
                                           "input_size": [48, 64, 64], "input_channels": 1, "normalization": WINDOW,
                                           "output": {"activation": "sigmoid", "threshold": 0.5},
                                           "labels": ["background", "lung"]}),
    "lung_empty3d": (LungEmpty(), {"contract": "segment-3d", "name": "empty lung test model",
                                   "input_size": [16, 32, 32], "normalization": WINDOW,
                                   "output": {"activation": "sigmoid"}, "labels": ["background", "lung"]}),
    "patch_density": (PatchDensity(), {"contract": "patch-classifier", "name": "patch density test model",
                                       "input_size": [16, 16, 16], "spacing_mm": 1.0, "normalization": WINDOW,
                                       "output": {"activation": "sigmoid"}, "labels": ["nodule"]}),
    "patch_wrong_size": (PatchWrongSize(), {"contract": "patch-classifier", "name": "wrong size test model",
                                            "input_size": [16, 16, 16], "normalization": WINDOW,
                                            "output": {"activation": "sigmoid"}, "labels": ["nodule"]}),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "models")
    os.makedirs(out, exist_ok=True)
    for name, (module, card) in MODELS.items():
        torch.jit.save(torch.jit.script(module), os.path.join(out, name + ".pt"))
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(card, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
