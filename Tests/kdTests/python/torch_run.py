"""Loads a kd safetensors file with python/kd_torch.py and runs it in PyTorch.

Usage: torch_run.py MODEL.safetensors INPUTS.safetensors OUT.safetensors
kd_torch.load builds the nn.Module of the file's kd.spec and loads every tensor with
load_state_dict(strict=True); the module runs key "x" of INPUTS in eval mode and "logits" goes
to OUT. Prints one summary line; any failure exits non-zero with the reason on stderr."""
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "python"))
import kd_torch  # noqa: E402


def main(model_path, inputs_path, out_path):
    torch.set_num_threads(1)
    model = kd_torch.load(model_path)
    model.eval()
    x = load_file(inputs_path)["x"]
    with torch.no_grad():
        logits = model(x)
    save_file({"logits": logits.contiguous()}, out_path)
    kinds = sorted({type(m).__name__ for m in model.modules()} - {"Sequential"})
    print(f"torch {torch.__version__}: {len(model.state_dict())} state_dict entries loaded strictly, "
          f"{sum(p.numel() for p in model.parameters())} parameters, modules {' '.join(kinds)}, "
          f"logits {list(logits.shape)}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
