"""Shared by the fixture generators: the pinned torch version and the one way to save."""
import json
from pathlib import Path

import torch
from safetensors.torch import save_file

PINNED_TORCH = "2.15.0"
HERE = Path(__file__).resolve().parent


def save(name, tensors, **meta):
    """Saves {key: tensor} as Tests/Fixtures/<name>.safetensors (float32 unless integer), with
    every keyword argument JSON-encoded into __metadata__ (e.g. stride=2, T=4.0)."""
    out = {}
    for key, value in tensors.items():
        value = torch.as_tensor(value).detach().contiguous()
        out[key] = value if not value.is_floating_point() else value.to(torch.float32)
    metadata = {key: json.dumps(value) for key, value in meta.items()}
    metadata["torch"] = torch.__version__
    save_file(out, str(HERE / f"{name}.safetensors"), metadata=metadata)
