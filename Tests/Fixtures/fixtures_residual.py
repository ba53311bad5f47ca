"""Residual fixtures: blocks relu(body(x) + shortcut(x)) as torch_kd.py's `Block` (body conv3x3
(stride) BN ReLU conv3x3 BN; shortcut the identity, or conv1x1 (stride) BN), global average
pooling, and whole training steps of a small ResNet-8-style network.

model_residual_<shortcut>_<mode>: the block wrapped in nn.Sequential (keys 0.body.N.*,
0.shortcut.N.*), saved by fixtures_layers.save_model (sd.*, x, logits, dy, dx, grad.*, after.*)
in training or eval mode, with random BatchNorm affine parameters and running statistics:
    identity      4 -> 4 channels, stride 1, x [3, 4, 6, 6]
    projection    3 -> 5 channels, stride 2 on an odd 7x7 input, x [3, 3, 7, 7]
    plain         3 -> 5, stride 2, projection without BatchNorm, no final ReLU (training only)
layer_global_avgpool: AdaptiveAvgPool2d(1) + Flatten, [2, 3, 4, 5] -> [2, 3], saved by `run`.
train_resnet_<recipe>: fixtures_training.train on stem conv3x3(2 -> 4) BN ReLU, identity block
(4), projection block (4 -> 6, stride 2), AdaptiveAvgPool2d(1), Flatten, Linear(6 -> 5): the
layout (and state_dict names) of torch_kd.py's resnet8 with one block fewer.
"""
import sys
from pathlib import Path

import torch
from torch import nn

from fixtures_layers import randomize_batchnorm, run, save_model
from fixtures_training import train

# The block module of python/kd_torch.py (what users load kd models with): 3 lines of torch.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
from kd_torch import Residual  # noqa: E402


def block(cin, cout, stride, batchnorm=True, relu=True):
    """torch_kd.py's Block(cin, cout, stride), its BatchNorms randomised (affine and running)."""
    body = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
    shortcut = nn.Sequential()
    if stride != 1 or cin != cout:
        shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                 *([nn.BatchNorm2d(cout)] if batchnorm else []))
    module = Residual(body, shortcut, relu)
    for bn in module.modules():
        if isinstance(bn, nn.BatchNorm2d):
            randomize_batchnorm(bn)
            with torch.no_grad():
                bn.running_mean.uniform_(-0.5, 0.5)
                bn.running_var.uniform_(0.5, 2.0)
    return module


def make_resnet():
    torch.manual_seed(13)
    stem = [nn.Conv2d(2, 4, 3, 1, 1, bias=False), nn.BatchNorm2d(4), nn.ReLU()]
    net = nn.Sequential(*stem, block(4, 4, 1), block(4, 6, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                        nn.Linear(6, 5))
    randomize_batchnorm(net[1])
    return net


def generate(save):
    torch.manual_seed(4321)
    for training in (True, False):
        mode = "train" if training else "eval"
        save_model(save, f"model_residual_identity_{mode}", nn.Sequential(block(4, 4, 1)),
                   torch.randn(3, 4, 6, 6), training=training)
        save_model(save, f"model_residual_projection_{mode}", nn.Sequential(block(3, 5, 2)),
                   torch.randn(3, 3, 7, 7), training=training)
    save_model(save, "model_residual_plain_train", nn.Sequential(block(3, 5, 2, batchnorm=False, relu=False)),
               torch.randn(3, 3, 7, 7))
    save("layer_global_avgpool", run(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()), torch.randn(2, 3, 4, 5)))

    g = torch.Generator().manual_seed(20240602)
    B, K = 8, 5
    x = torch.randn(B, 2, 8, 8, generator=g)
    y = torch.randint(0, K, (B,), generator=g)
    teacher = torch.randn(B, K, generator=g) * 3
    for recipe in ("sgd_ce", "adam_kd"):
        train(save, "resnet", make_resnet(), x, y, recipe, teacher)
