"""Whole training steps: 3 consecutive zero_grad / forward (train mode) / loss / backward /
optimizer.step in PyTorch, for a small MLP (with Dropout) and a small CNN (with BatchNorm), each
(a) on hard-label cross-entropy with SGD (lr 0.1, momentum 0.9, Nesterov, weight decay 1e-4) and
(b) on the KD loss alpha*T^2*KL(softmax(t/T) || softmax(s/T)) + (1-alpha)*CE with T=4, alpha=0.7
against fixed teacher logits, with Adam (lr 1e-2).

One file per (model, recipe): train_<model>_<recipe>.safetensors holding
    init.<key>          the state_dict before step 1 (parameters and buffers)
    x, y, teacher       the batch of 8, its labels (int64) and the teacher's logits (KD only)
    step<k>.loss        the loss of step k (1-based), [1]
    step<k>.logits      the training-mode logits of step k (before its update)
    step<k>.<key>       every parameter after step k
    final.<key>         every buffer after step 3 (BatchNorm running stats, num_batches_tracked)
and as metadata: state_dict_keys, input_shape, steps, lr, and for dropout its p and seed.

Dropout. Its training mask cannot come from torch's RNG, so the MLP's nn.Dropout(0.3) is
replaced by `ReplayedDropout`, which draws the mask exactly as kd's `Dropout` does (one
SplitMix64 `nextUnit()` per element, in order, kept when >= p, scaled by 1/(1-p) in float32)
from the seed stored as `dropout_seed`. Dropout is therefore really active (p = 0.3, ~30% of
the hidden units zeroed, in forward and backward) rather than made the identity, and kd must
reproduce it from the seed alone.
"""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

MASK64 = (1 << 64) - 1
DROPOUT_P = 0.3
DROPOUT_SEED = 0x5EED_D80


class SplitMix64:
    """kd's SplitMix64 (Sources/NN/Random), bit for bit."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def next_unit(self):
        """Uniform in [0, 1) from the top 24 bits, exact in float32."""
        return np.float32(self.next() >> 40) * np.float32(1.0 / 16_777_216.0)


class ReplayedDropout(nn.Module):
    """nn.Dropout(p) whose masks are kd Dropout's masks for the same seed (see module doc)."""

    def __init__(self, p, seed):
        super().__init__()
        self.p = np.float32(p)
        self.rng = SplitMix64(seed)

    def forward(self, x):
        if not self.training:
            return x
        scale = np.float32(1) / (np.float32(1) - self.p)
        mask = np.array([scale if self.rng.next_unit() >= self.p else np.float32(0)
                         for _ in range(x.numel())], dtype=np.float32)
        return x * torch.from_numpy(mask).reshape(x.shape)


def make_mlp():
    torch.manual_seed(11)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.ReLU(), ReplayedDropout(DROPOUT_P, DROPOUT_SEED),
                         nn.Linear(16, 5))


def make_cnn():
    # The first conv has no bias: it feeds a train-mode BatchNorm, which subtracts the channel
    # mean, so such a bias has an exactly-zero gradient and only rounding noise (~1e-9) reaches
    # it. Adam normalises that noise into steps of ~lr/10 with a random sign, which no two
    # implementations can agree on; bias=False is also what such networks use in practice.
    torch.manual_seed(12)
    cnn = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
                        nn.Linear(6, 5))
    with torch.no_grad():
        bn = cnn[1]
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    return cnn


def kd_loss(s, t, y, T=4.0, alpha=0.7):
    soft = F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1), reduction="batchmean")
    return alpha * T * T * soft + (1 - alpha) * F.cross_entropy(s, y)


def train(save, name, model, x, y, recipe, teacher, steps=3):
    model.train()
    out = {f"init.{k}": v.clone() for k, v in model.state_dict().items()}
    out.update({"x": x, "y": y})
    if recipe == "sgd_ce":
        lr = 0.1
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=1e-4)
    else:
        lr = 1e-2
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        out["teacher"] = teacher
    for step in range(1, steps + 1):
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y) if recipe == "sgd_ce" else kd_loss(logits, teacher, y)
        loss.backward()
        opt.step()
        out[f"step{step}.loss"] = loss.detach().reshape(1)
        out[f"step{step}.logits"] = logits.detach().clone()
        out.update({f"step{step}.{k}": p.detach().clone() for k, p in model.named_parameters()})
    out.update({f"final.{k}": b.clone() for k, b in model.named_buffers()})
    meta = dict(state_dict_keys=list(model.state_dict().keys()), input_shape=list(x.shape[1:]), steps=steps, lr=lr)
    if any(isinstance(m, ReplayedDropout) for m in model):
        meta.update(dropout_p=DROPOUT_P, dropout_seed=DROPOUT_SEED)
    save(f"train_{name}_{recipe}", out, **meta)


def generate(save):
    g = torch.Generator().manual_seed(20240601)
    B, K = 8, 5
    x_mlp = torch.randn(B, 3, 2, 2, generator=g)
    x_cnn = torch.randn(B, 2, 8, 8, generator=g)
    y = torch.randint(0, K, (B,), generator=g)
    teacher = torch.randn(B, K, generator=g) * 3
    for recipe in ("sgd_ce", "adam_kd"):
        train(save, "mlp", make_mlp(), x_mlp, y, recipe, teacher)
        train(save, "cnn", make_cnn(), x_cnn, y, recipe, teacher)
