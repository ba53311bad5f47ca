"""Logit-objective references: DKD (mdistiller's dkd_loss), DIST (the reference DIST module) and
logit standardisation (Sun et al. 2024), written from the published formulas and differentiated
by torch autograd in float64 from float32 inputs, as fixtures_losses.py does."""
import torch
import torch.nn.functional as F

from fixtures_losses import with_grad


def dkd(s, t, y, alpha, beta, T):
    """mdistiller's dkd_loss: the target logit masked with -1000 before the NCKD softmaxes."""
    gt = F.one_hot(y, s.shape[1]).to(s.dtype)
    other = 1 - gt
    p_s = F.softmax(s / T, dim=1)
    p_t = F.softmax(t / T, dim=1)
    b_s = torch.stack([(p_s * gt).sum(1), (p_s * other).sum(1)], dim=1)
    b_t = torch.stack([(p_t * gt).sum(1), (p_t * other).sum(1)], dim=1)
    B = s.shape[0]
    tckd = F.kl_div(torch.log(b_s), b_t, reduction="sum") / B
    m_t = F.softmax(t / T - 1000.0 * gt, dim=1)
    log_m_s = F.log_softmax(s / T - 1000.0 * gt, dim=1)
    nckd = F.kl_div(log_m_s, m_t, reduction="sum") / B
    dkd.parts = (tckd.detach(), nckd.detach())
    return (alpha * tckd + beta * nckd) * T * T


def pearson(a, b, eps=1e-8):
    """Rows of a, b: cosine of the centred vectors with eps in the denominator (DIST's code)."""
    a = a - a.mean(1, keepdim=True)
    b = b - b.mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)


def dist(s, t, beta, gamma, tau):
    y_s = (s / tau).softmax(dim=1)
    y_t = (t / tau).softmax(dim=1)
    inter = 1 - pearson(y_s, y_t).mean()
    intra = 1 - pearson(y_s.transpose(0, 1), y_t.transpose(0, 1)).mean()
    dist.parts = (inter.detach(), intra.detach())
    return tau * tau * (beta * inter + gamma * intra)


def standardize(z):
    return (z - z.mean(-1, keepdim=True)) / (1e-7 + z.std(-1, keepdim=True))


def generate(save):
    g = torch.Generator().manual_seed(20241201)
    B, K = 8, 10
    s = (torch.randn(B, K, generator=g) * 2.5).float()
    t = (torch.randn(B, K, generator=g) * 3.0).float()
    y = torch.randint(0, K, (B,), generator=g)
    w = torch.randn(B, K, generator=g).float()  # an upstream gradient for the standardisation's VJP
    s_wide = (s * 8).float()  # logits spread over ±60: a saturated softmax at T = 1
    out = {"s": s, "t": t, "y": y, "w": w, "s_wide": s_wide}

    for name, logits in [("", s), ("wide_", s_wide)]:
        for T in [1.0, 4.0]:
            for alpha, beta in [(1.0, 8.0), (0.5, 2.0)]:
                v, grad = with_grad(lambda x: dkd(x, t.double(), y, alpha, beta, T), logits)
                key = f"dkd_{name}T{T:g}_a{alpha:g}_b{beta:g}"
                out[key] = torch.stack([v, *dkd.parts])
                out[key + "_grad"] = grad

    for tau in [1.0, 4.0]:
        for beta, gamma in [(1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (2.0, 0.5)]:
            v, grad = with_grad(lambda x: dist(x, t.double(), beta, gamma, tau), s)
            key = f"dist_tau{tau:g}_b{beta:g}_g{gamma:g}"
            out[key] = torch.stack([v, *dist.parts])
            out[key + "_grad"] = grad

    out["std_s"] = standardize(s.double())
    out["std_t"] = standardize(t.double())
    _, out["std_vjp"] = with_grad(lambda x: (standardize(x) * w.double()).sum(), s)
    # KD (KL at T = 4, batchmean, T^2) and DKD on standardised logits, through the Jacobian.
    T = 4.0
    p = F.softmax(standardize(t.double()) / T, dim=1)
    kd = lambda x: F.kl_div(F.log_softmax(standardize(x) / T, dim=1), p, reduction="batchmean") * T * T
    v, grad = with_grad(kd, s)
    out["std_kd_T4"], out["std_kd_T4_grad"] = v.reshape(1), grad
    v, grad = with_grad(lambda x: dkd(standardize(x), standardize(t.double()), y, 1.0, 8.0, T), s)
    out["std_dkd_T4"], out["std_dkd_T4_grad"] = v.reshape(1), grad
    save("logit_losses", out, B=B, K=K)
