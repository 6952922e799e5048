#!/usr/bin/python3
"""Writes the tiny deterministic image-classifier test models and their cards.

No weights: on each normalised [1, 64, 64] image x of a batch [N, 1, 64,
64] it answers three logits, "bright" 6 (mean(x) - 0.4), "dark" 6 (0.45 -
mean(x)) and "top-heavy" 10 (mean of the top half - mean of the bottom
half), so a test can compute the expected probabilities with numpy alone.
It takes any batch size N (medseg batches such models) and refuses any
other image size, as a real network with a fixed input would.

The second, image_rgb_means, takes [N, 3, 64, 64] and answers "red",
"green" and "blue" 6 (mean of that plane - 0.4): it tells whether a colour
image reached the model as its three channels.

Run with Debian's python3-torch:  /usr/bin/python3 data/make_classify_test_model.py
"""
import json
import os
import sys

import torch


class MeanTone(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != 1 or x.shape[2] != 64 or x.shape[3] != 64:
            raise ValueError("MeanTone takes [N, 1, 64, 64]")
        m = x.mean(dim=(1, 2, 3))
        t = x[:, :, :32, :].mean(dim=(1, 2, 3)) - x[:, :, 32:, :].mean(dim=(1, 2, 3))
        return torch.stack([6.0 * (m - 0.4), 6.0 * (0.45 - m), 10.0 * t], dim=1)


class RgbMeans(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != 3 or x.shape[2] != 64 or x.shape[3] != 64:
            raise ValueError("RgbMeans takes [N, 3, 64, 64]")
        return 6.0 * (x.mean(dim=(2, 3)) - 0.4)


RGB_CARD = {
    "contract": "image-classifier",
    "name": "RGB plane means test classifier",
    "input_size": [64, 64],
    "input_channels": 3,
    "normalization": {"type": "minmax"},
    "labels": ["red", "green", "blue"],
    "output": {"activation": "sigmoid"},
}

CARD = {
    "contract": "image-classifier",
    "name": "mean-tone test classifier",
    "input_size": [64, 64],
    "input_channels": 1,
    "normalization": {"type": "minmax"},
    "labels": ["bright", "dark", "top-heavy"],
    "output": {"activation": "sigmoid"},
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "models")
    os.makedirs(out, exist_ok=True)
    for name, model, card in (("image_mean_tone", MeanTone(), CARD), ("image_rgb_means", RgbMeans(), RGB_CARD)):
        torch.jit.save(torch.jit.script(model), os.path.join(out, name + ".pt"))
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(card, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
