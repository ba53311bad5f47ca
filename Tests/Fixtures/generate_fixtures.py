"""Writes the PyTorch reference fixtures that the Swift tests compare against, tensor by tensor.

Run by hand (CI never needs torch; the fixtures are committed):
    python3 -m venv .venv && .venv/bin/pip install torch==2.15.0 safetensors==0.8.0 numpy
    .venv/bin/python Tests/Fixtures/generate_fixtures.py

Each fixtures_*.py beside this file covers one concern (layers, losses, optimizers, ...) and
exposes generate(save); every file it saves lands here as <name>.safetensors.
"""
import importlib.util
import sys
from pathlib import Path

import torch

from fixture_common import PINNED_TORCH, save

HERE = Path(__file__).resolve().parent


def main():
    if not torch.__version__.startswith(PINNED_TORCH):
        sys.exit(f"fixtures are pinned to torch {PINNED_TORCH}, found {torch.__version__}")
    torch.use_deterministic_algorithms(True)
    for path in sorted(HERE.glob("fixtures_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.generate(save)
        print(f"{path.name}: done")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
