#!/usr/bin/python3
"""Writes the tiny deterministic segment-2d test model and its card.

The model has no weights: inside the box it answers logits 20 * (x - 0.5)
of the normalised image, outside -20, so with the card's window (centre 0,
width 400) the expected mask is "inside the box and above 0 HU". It refuses
any input but [1, 1, 64, 64], as a real network with a fixed input would.

Run with Debian's python3-torch:  /usr/bin/python3 data/make_seg2d_test_model.py
"""
import json
import os
import sys

import torch


class BoxThreshold(torch.nn.Module):
    def forward(self, image: torch.Tensor, box: torch.Tensor) -> torch.Tensor:
        if image.shape[0] != 1 or image.shape[1] != 1 or image.shape[2] != 64 or image.shape[3] != 64:
            raise ValueError("BoxThreshold takes [1, 1, 64, 64]")
        ys = torch.arange(64, dtype=torch.float32).view(1, 1, 64, 1) + 0.5
        xs = torch.arange(64, dtype=torch.float32).view(1, 1, 1, 64) + 0.5
        inside = (xs >= box[0, 0]) & (xs <= box[0, 2]) & (ys >= box[0, 1]) & (ys <= box[0, 3])
        logits = 20.0 * (image - 0.5)
        return torch.where(inside, logits, torch.full_like(logits, -20.0))


CARD = {
    "contract": "segment-2d",
    "name": "box-threshold test model",
    "input_size": [64, 64],
    "input_channels": 1,
    "normalization": {"type": "window", "center": 0, "width": 400},
    "prompt_inputs": ["box"],
    "output": {"activation": "sigmoid", "threshold": 0.5},
    "labels": ["background", "object"],
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "models")
    os.makedirs(out, exist_ok=True)
    torch.jit.save(torch.jit.script(BoxThreshold()), os.path.join(out, "seg2d_box_threshold.pt"))
    with open(os.path.join(out, "seg2d_box_threshold.json"), "w") as f:
        json.dump(CARD, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
