"""A teacher trained in PyTorch, as a PyTorch user would hand it to kd.

pytorch_teacher.safetensors
    `safetensors.torch.save_file(model.state_dict(), ...)` of the nn.Sequential below, with NO
    kd metadata: kd must take its architecture from pytorch_teacher.yaml (beside this file),
    whose layers are the same modules in the same order (so the state_dict keys 0.weight,
    1.running_mean, ... match). It uses every layer kind kd has: Conv2d, BatchNorm2d, ReLU,
    MaxPool2d, AvgPool2d, Flatten, Dropout, Linear.
pytorch_teacher_reference.safetensors
    logits   [512, 10]: the eval-mode logits of the first 512 Fashion-MNIST test images
    and as metadata: accuracy and correct (over all 10000 test images, eval mode), samples,
    logit_samples, min_margin (smallest top-1 minus top-2 logit over the 10000: how far the
    argmax is from a tie, i.e. how robust an exact accuracy comparison is).

Inputs are the Fashion-MNIST IDX files of the Debian package dataset-fashion-mnist (or
KD_DATA_DIR), pixels / 255 in float32 as kd reads them, no normalisation. The teacher is
trained for 2 epochs with Adam (lr 1e-3, batch 128) from seed 7: a few minutes on 2 cores.
"""
import gzip
import os
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

HERE = Path(__file__).resolve().parent
LOGIT_SAMPLES = 512


def make_teacher():
    """The architecture of pytorch_teacher.yaml, index for index."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),   # 0
        nn.BatchNorm2d(8),               # 1
        nn.ReLU(),                       # 2
        nn.MaxPool2d(2),                 # 3  -> 8x14x14
        nn.Conv2d(8, 16, 3, padding=1),  # 4
        nn.ReLU(),                       # 5
        nn.AvgPool2d(2),                 # 6  -> 16x7x7
        nn.Flatten(),                    # 7
        nn.Dropout(0.2),                 # 8
        nn.Linear(16 * 7 * 7, 32),       # 9
        nn.ReLU(),                       # 10
        nn.Linear(32, 10),               # 11
    )


def data_dir():
    override = os.environ.get("KD_DATA_DIR")
    if override:
        nested = Path(override) / "fashion-mnist"
        return nested if nested.is_dir() else Path(override)
    return Path("/usr/share/datasets/fashion-mnist")


def read_idx(path):
    """An IDX file (gzip or not) as a numpy array of its unsigned bytes, shaped by its header."""
    raw = gzip.open(path).read() if str(path).endswith(".gz") else open(path, "rb").read()
    assert raw[0] == 0 and raw[1] == 0 and raw[2] == 0x08, f"{path}: not an unsigned-byte IDX file"
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(split):
    folder = data_dir()
    def find(stem):
        for name in (stem, stem + ".gz"):
            if (folder / name).exists():
                return folder / name
        raise SystemExit(f"{folder}: no {stem}[.gz] (install dataset-fashion-mnist or set KD_DATA_DIR)")
    images = read_idx(find(f"{split}-images-idx3-ubyte"))
    labels = read_idx(find(f"{split}-labels-idx1-ubyte"))
    # Divide in float32, as kd does (255 maps to exactly 1).
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255)).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


def generate(save):
    torch.manual_seed(7)
    train_x, train_y = load("train")
    test_x, test_y = load("t10k")
    model = make_teacher()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(7)
    for _ in range(2):
        model.train()
        order = torch.randperm(len(train_x), generator=g)
        for start in range(0, len(order), 128):
            batch = order[start:start + 128]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(train_x[batch]), train_y[batch])
            loss.backward()
            optimizer.step()

    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(test_x[i:i + 1000]) for i in range(0, len(test_x), 1000)])
    correct = int((logits.argmax(1) == test_y).sum())
    top2 = logits.topk(2, dim=1).values
    min_margin = float((top2[:, 0] - top2[:, 1]).min())

    # Exactly what a PyTorch user writes: the state_dict, no metadata.
    save_file(model.state_dict(), str(HERE / "pytorch_teacher.safetensors"))
    save("pytorch_teacher_reference", {"logits": logits[:LOGIT_SAMPLES]},
         accuracy=correct / len(test_y), correct=correct, samples=len(test_y),
         logit_samples=LOGIT_SAMPLES, min_margin=min_margin)
    print(f"pytorch teacher: accuracy {correct / len(test_y):.4f} ({correct}/{len(test_y)}), "
          f"min top-2 margin {min_margin:.2e}")
