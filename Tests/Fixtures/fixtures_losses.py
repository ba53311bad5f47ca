"""Loss references: softmax, cross-entropy, the three divergences and the KD loss, with their
gradients w.r.t. the student logits from autograd. Inputs are float32 (what the Swift side
reads); the references are computed from them in float64 and stored as float32, so they are the
exact values up to one final rounding."""
import torch
import torch.nn.functional as F

TINY = torch.finfo(torch.float32).tiny  # the clamp of log p in reverse KL (Float.leastNormalMagnitude)


def divergence(kind, p, s, T):
    """Batch-mean D(p, softmax(s/T)), not scaled by T^2, with 0*log 0 = 0."""
    log_q = F.log_softmax(s / T, dim=1)
    q = log_q.exp()
    B = s.shape[0]
    if kind == "kl":
        return F.kl_div(log_q, p, reduction="batchmean")
    if kind == "reverse_kl":
        return (q * (log_q - p.clamp_min(TINY).log())).sum() / B
    log_m = torch.logaddexp(p.log(), log_q) - torch.log(torch.tensor(2.0, dtype=s.dtype))
    p_term = torch.xlogy(p, p) - p * torch.where(p > 0, log_m, torch.zeros_like(log_m))
    return 0.5 * (p_term.sum() + (q * (log_q - log_m)).sum()) / B


def with_grad(fn, s):
    """fn(s) and d fn / d s, in float64."""
    s = s.double().clone().requires_grad_(True)
    value = fn(s)
    value.backward()
    return value.detach(), s.grad


def generate(save):
    g = torch.Generator().manual_seed(20240501)
    B, K = 6, 7
    s = (torch.randn(B, K, generator=g) * 2.5).float()
    t = (torch.randn(B, K, generator=g) * 3.0).float()
    y = torch.randint(0, K, (B,), generator=g)
    # Extreme logits: ±1e4 make softmax saturate; the target keeps exact zeros.
    s_ext = (torch.randint(0, 2, (B, K), generator=g) * 2 - 1).float() * 1e4
    s_ext[:, 0] = 1e4
    t_ext = (torch.randint(0, 2, (B, K), generator=g) * 2 - 1).float() * 1e4
    # A target with exact zeros (a sparse, PS-KD-like mix), as the divergences must allow.
    p_zero = torch.softmax(t.double(), dim=1)
    p_zero[:, ::2] = 0
    p_zero = (p_zero / p_zero.sum(1, keepdim=True)).float()

    out = {"s": s, "t": t, "y": y, "s_ext": s_ext, "t_ext": t_ext, "p_zero": p_zero}
    temps = [1.0, 2.0, 4.0]
    for T in temps:
        out[f"softmax_T{T:g}"] = torch.softmax(s.double() / T, dim=1)
        out[f"log_softmax_T{T:g}"] = torch.log_softmax(s.double() / T, dim=1)
    for ls in [0.0, 0.1]:
        for name, logits in [("", s), ("ext_", s_ext)]:
            v, grad = with_grad(lambda x: F.cross_entropy(x, y, label_smoothing=ls), logits)
            out[f"ce_{name}ls{ls:g}"], out[f"ce_{name}ls{ls:g}_grad"] = v.reshape(1), grad

    targets = {"soft": (t, None), "zero": (None, p_zero), "ext": (t_ext, None)}
    for kind in ["kl", "reverse_kl", "js"]:
        for T in temps:
            for name, (teacher, fixed) in targets.items():
                logits = s_ext if name == "ext" else s
                p = fixed
                if p is None:
                    p = out[f"p_{name}_T{T:g}"] = torch.softmax(teacher.double() / T, dim=1).float()
                v, grad = with_grad(lambda x: divergence(kind, p.double(), x, T), logits)
                out[f"{kind}_{name}_T{T:g}"], out[f"{kind}_{name}_T{T:g}_grad"] = v.reshape(1), grad

    for T in [1.0, 4.0, 20.0]:
        p = torch.softmax(t.double() / T, dim=1).float()
        out[f"p_kd_T{T:g}"] = p
        for alpha in [0.0, 0.5, 1.0]:
            for ls in [0.0, 0.1]:
                def kd(x):
                    soft = divergence("kl", p.double(), x, T)
                    hard = F.cross_entropy(x, y, label_smoothing=ls)
                    kd.parts = (soft.detach(), hard.detach())
                    return alpha * T * T * soft + (1 - alpha) * hard
                v, grad = with_grad(kd, s)
                key = f"kd_T{T:g}_a{alpha:g}_ls{ls:g}"
                out[key] = torch.stack([v, *kd.parts])
                out[key + "_grad"] = grad
    save("losses", out, B=B, K=K)
