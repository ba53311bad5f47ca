"""Recomputes a kd export's logits with numpy alone, to prove the file is self-describing.

Usage: numpy_forward.py MODEL.safetensors INPUTS.safetensors OUT.safetensors
Reads the architecture from __metadata__["kd.spec"], the weights by their PyTorch state_dict
keys, runs the key "x" of INPUTS ([N, C, H, W]) through the layers (eval mode) and writes
"logits" to OUT."""
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file


def conv2d(x, w, b, stride, padding):
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho, wo = (h + 2 * padding - k) // stride + 1, (wd + 2 * padding - k) // stride + 1
    cols = np.empty((n, c, k, k, ho, wo), dtype=np.float64)
    for i in range(k):
        for j in range(k):
            cols[:, :, i, j] = x[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride]
    y = np.einsum("ncklhw,ockl->nohw", cols, w)
    return y + (b[None, :, None, None] if b is not None else 0)


def pool(x, k, stride, padding, reduce):
    n, c, h, w = x.shape
    fill = -np.inf if reduce is np.max else 0.0
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=fill)
    ho, wo = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    windows = np.stack([x[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride]
                        for i in range(k) for j in range(k)])
    return reduce(windows, axis=0)


def forward(spec, weights, x):
    for index, layer in enumerate(spec["layers"]):
        kind, args = (layer, {}) if isinstance(layer, str) else next(iter(layer.items()))
        kind, args = kind.lower(), args or {}
        p = lambda name: weights.get(f"{index}.{name}")
        if kind == "linear":
            x = x @ p("weight").T + (p("bias") if p("bias") is not None else 0)
        elif kind == "conv2d":
            x = conv2d(x, p("weight"), p("bias"), args.get("stride", 1), args.get("padding", 0))
        elif kind in ("maxpool2d", "avgpool2d"):
            k = args["kernel"]
            x = pool(x, k, args.get("stride") or k, args.get("padding", 0), np.max if kind == "maxpool2d" else np.mean)
        elif kind == "batchnorm":
            shape = (1, -1) + (1,) * (x.ndim - 2)
            eps = args.get("eps", 1e-5)
            x = (x - p("running_mean").reshape(shape)) / np.sqrt(p("running_var").reshape(shape) + eps)
            x = x * p("weight").reshape(shape) + p("bias").reshape(shape)
        elif kind == "relu":
            x = np.maximum(x, 0)
        elif kind == "flatten":
            x = x.reshape(x.shape[0], -1)
        elif kind == "dropout":
            pass
        else:
            sys.exit(f"unknown layer {kind}")
    return x


def main(model_path, inputs_path, out_path):
    with safe_open(model_path, "numpy") as f:
        spec = json.loads(f.metadata()["kd.spec"])
    weights = {k: v.astype(np.float64) for k, v in load_file(model_path).items()}
    x = load_file(inputs_path)["x"].astype(np.float64)
    save_file({"logits": forward(spec, weights, x).astype(np.float32)}, out_path)


if __name__ == "__main__":
    main(*sys.argv[1:4])
