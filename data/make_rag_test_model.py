#!/usr/bin/python3
"""Writes the tiny deterministic embedder test model and its card.

No weights learnt: each normalised [1, 64, 64] image x of a batch [N, 1,
64, 64] is average-pooled to 4 x 4 cells (16 values, row by row), centred
(its mean removed), and the 16 values are the embedding, so a test can
compute the expected vector with numpy alone. It takes any batch size and
refuses any other image size, as a real network with a fixed input would.

Run with Debian's python3-torch:  /usr/bin/python3 data/make_rag_test_model.py
"""
import json
import os
import sys

import torch


class Pool16(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != 1 or x.shape[2] != 64 or x.shape[3] != 64:
            raise ValueError("Pool16 takes [N, 1, 64, 64]")
        p = torch.nn.functional.avg_pool2d(x, 16).reshape(x.shape[0], 16)
        return p - p.mean(dim=1, keepdim=True)


CARD = {
    "contract": "embedder",
    "name": "pool16 test embedder",
    "input_size": [64, 64],
    "input_channels": 1,
    "normalization": {"type": "minmax"},
    "output_dim": 16,
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "models")
    os.makedirs(out, exist_ok=True)
    torch.jit.save(torch.jit.script(Pool16()), os.path.join(out, "embed_pool16.pt"))
    with open(os.path.join(out, "embed_pool16.json"), "w") as f:
        json.dump(CARD, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
