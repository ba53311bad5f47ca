"""The PyTorch side of kd's interop: the torch.nn.Module of any kd model spec.

    import kd_torch
    model = kd_torch.load("student.safetensors")      # spec from the file's kd.spec metadata
    model.eval(); logits = model(x)                   # x: float32 [N, *spec["input"]]

`load` builds the module of the spec and loads the file's tensors with
load_state_dict(strict=True); `build(spec)` gives the module alone (spec: the dict, or the JSON
string, that kd embeds as `kd.spec`; a PyTorch state_dict trained elsewhere loads into it).
A model trained on normalised inputs carries `kd_normalization` ({"mean": [...], "std": [...]},
per channel) and expects x already normalised that way.

The module is an nn.Sequential whose layer i is the spec's layers[i], so state_dict keys are
kd's: "0.weight", "1.running_mean", ... A residual block is a `Residual` module with
`body` (nn.Sequential of its layers) and `shortcut` (empty for the identity; Conv2d 1x1 without
bias, then BatchNorm2d, for a projection): "3.body.0.weight", "4.shortcut.1.running_var".
Layers: linear -> Linear, conv2d -> Conv2d, maxPool2d -> MaxPool2d, avgPool2d -> AvgPool2d
(count_include_pad, as kd), batchNorm -> BatchNorm1d/2d by the input's rank, relu -> ReLU,
dropout -> Dropout, flatten -> Flatten, globalAvgPool -> GlobalAvgPool2d ([N, C, H, W] -> [N, C]).
"""
import json

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn

__all__ = ["load", "build", "Residual", "GlobalAvgPool2d"]


class Residual(nn.Module):
    """relu(body(x) + shortcut(x)), the ReLU when `relu`; an empty shortcut is the identity."""

    def __init__(self, body, shortcut, relu=True):
        super().__init__()
        self.body = body
        self.shortcut = shortcut
        self.relu = relu

    def forward(self, x):
        y = self.body(x) + self.shortcut(x)
        return F.relu(y) if self.relu else y


class GlobalAvgPool2d(nn.Module):
    """The mean of each channel's plane: [N, C, H, W] -> [N, C] (AdaptiveAvgPool2d(1) + Flatten)."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


def _output_shape(module, shape):
    """The per-sample output shape of `module` for a per-sample input `shape` (one zero sample)."""
    was_training = module.training
    module.eval()
    with torch.no_grad():
        shape = list(module(torch.zeros(1, *shape)).shape[1:])
    module.train(was_training)
    return shape


def _layer(entry, shape):
    """The module of one spec layer ({kind: {options}}) on a per-sample input `shape`."""
    (kind, o), = entry.items()
    if kind == "linear":
        return nn.Linear(shape[0], o["out"], bias=o["bias"])
    if kind == "conv2d":
        return nn.Conv2d(shape[0], o["out"], o["kernel"], o["stride"], o["padding"], bias=o["bias"])
    if kind == "maxPool2d":
        return nn.MaxPool2d(o["kernel"], o["stride"], o["padding"])
    if kind == "avgPool2d":
        return nn.AvgPool2d(o["kernel"], o["stride"], o["padding"])
    if kind == "batchNorm":
        norm = nn.BatchNorm1d if len(shape) == 1 else nn.BatchNorm2d
        return norm(shape[0], eps=o["eps"], momentum=o["momentum"])
    if kind == "relu":
        return nn.ReLU()
    if kind == "dropout":
        return nn.Dropout(o["p"])
    if kind == "flatten":
        return nn.Flatten()
    if kind == "globalAvgPool":
        return GlobalAvgPool2d()
    if kind == "residual":
        body = _sequential(o["body"], shape)
        shortcut = nn.Sequential()
        if "projection" in o["shortcut"]:
            p = o["shortcut"]["projection"]
            out = _output_shape(body, shape)[0]
            shortcut = nn.Sequential(nn.Conv2d(shape[0], out, 1, p["stride"], bias=False),
                                     *([nn.BatchNorm2d(out)] if p["batchNorm"] else []))
        return Residual(body, shortcut, o["relu"])
    raise ValueError(f"kd_torch: unknown layer kind '{kind}'")


def _sequential(entries, shape):
    layers = []
    for entry in entries:
        layer = _layer(entry, shape)
        shape = _output_shape(layer, shape)
        layers.append(layer)
    return nn.Sequential(*layers)


def build(spec):
    """The nn.Sequential of a kd model spec (a dict, or its JSON text), freshly initialised."""
    if isinstance(spec, str):
        spec = json.loads(spec)
    return _sequential(spec["layers"], spec["input"])


def load(path, spec=None):
    """The module of a kd safetensors file (a checkpoint or an exported student), its state_dict
    loaded strictly. `spec` overrides the file's kd.spec (needed for a plain PyTorch state_dict)."""
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
    spec = spec if spec is not None else metadata.get("kd.spec")
    if spec is None:
        raise ValueError(f"{path}: no kd.spec metadata; pass the model spec (dict or JSON) as spec=")
    model = build(spec)
    model.load_state_dict(load_file(path), strict=True)
    if "kd.normalize" in metadata:
        model.kd_normalization = json.loads(metadata["kd.normalize"])
    return model
