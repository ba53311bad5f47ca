"""Mixed hard-label cross-entropy (mixup / cutmix targets): per sample
lam * CE(s, y) + (1 - lam) * CE(s, y_partner), label smoothing as F.cross_entropy's, batch mean,
with its gradient w.r.t. the logits from autograd in float64. The partners are the batch
reversed (timm's x.flip(0)); the weights include 1 (unmixed) and 0 (all partner)."""
import torch
import torch.nn.functional as F


def mixed_ce(s, y, y_partner, lam, ls):
    own = F.cross_entropy(s, y, label_smoothing=ls, reduction="none")
    other = F.cross_entropy(s, y_partner, label_smoothing=ls, reduction="none")
    return (lam * own + (1 - lam) * other).mean()


def generate(save):
    g = torch.Generator().manual_seed(20260102)
    B, K = 7, 5
    s = (torch.randn(B, K, generator=g) * 2.0).float()
    y = torch.randint(0, K, (B,), generator=g)
    y_partner = y.flip(0)
    lam = torch.rand(B, generator=g).float()
    lam[0], lam[3], lam[5] = 1.0, 1.0, 0.0  # the middle sample (its own partner) and the extremes
    out = {"s": s, "y": y, "y_partner": y_partner, "lam": lam}
    for ls in [0.0, 0.1]:
        x = s.double().clone().requires_grad_(True)
        value = mixed_ce(x, y, y_partner, lam.double(), ls)
        value.backward()
        out[f"mixed_ce_ls{ls:g}"] = value.detach().reshape(1)
        out[f"mixed_ce_ls{ls:g}_grad"] = x.grad
    save("mixed_ce", out, B=B, K=K)
