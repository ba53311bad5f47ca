"""Optimizer and schedule references: ten steps of torch.optim.SGD/Adam/AdamW on two float32
parameters with fixed per-step gradients and a per-step learning rate, every intermediate
parameter stored; and the per-epoch learning rates of StepLR, CosineAnnealingLR and
SequentialLR(LinearLR, CosineAnnealingLR)."""
import torch

STEPS = 10
CONFIGS = {
    "sgd_plain": (torch.optim.SGD, dict(), 0.1),
    "sgd_momentum": (torch.optim.SGD, dict(momentum=0.9), 0.1),
    "sgd_nesterov": (torch.optim.SGD, dict(momentum=0.9, nesterov=True), 0.1),
    "sgd_weight_decay": (torch.optim.SGD, dict(momentum=0.9, dampening=0.1, weight_decay=0.05), 0.1),
    "adam": (torch.optim.Adam, dict(), 0.01),
    "adam_weight_decay": (torch.optim.Adam, dict(weight_decay=0.05), 0.01),
    "adamw": (torch.optim.AdamW, dict(weight_decay=0.05), 0.01),
}


def lr_sequence(scheduler_fn, base, epochs):
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=base)
    scheduler = scheduler_fn(optimizer)
    lrs = []
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return torch.tensor(lrs, dtype=torch.float64)


def generate(save):
    g = torch.Generator().manual_seed(777)
    w0 = torch.randn(4, 3, generator=g)
    b0 = torch.randn(4, generator=g)
    gw = torch.randn(STEPS, 4, 3, generator=g)
    gb = torch.randn(STEPS, 4, generator=g) * 0.1
    # A learning rate that changes every step, as a schedule would make it.
    scale = torch.tensor([1.0 - 0.05 * i for i in range(STEPS)], dtype=torch.float64)
    out = {"w0": w0, "b0": b0, "gw": gw, "gb": gb, "lr_scale": scale}
    for name, (cls, kwargs, lr) in CONFIGS.items():
        w = torch.nn.Parameter(w0.clone())
        b = torch.nn.Parameter(b0.clone())
        optimizer = cls([w, b], lr=lr, **kwargs)
        ws, bs = [], []
        for step in range(STEPS):
            optimizer.param_groups[0]["lr"] = lr * scale[step].item()
            w.grad, b.grad = gw[step].clone(), gb[step].clone()
            optimizer.step()
            ws.append(w.detach().clone())
            bs.append(b.detach().clone())
        out[f"{name}_w"], out[f"{name}_b"] = torch.stack(ws), torch.stack(bs)
    save("optim", out, configs={k: dict(v[1], lr=v[2]) for k, v in CONFIGS.items()})

    S = torch.optim.lr_scheduler
    base = 0.1
    save("schedules", {
        "step": lr_sequence(lambda o: S.StepLR(o, step_size=3, gamma=0.5), base, 12),
        "cosine": lr_sequence(lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001), base, 10),
        "cosine_warmup": lr_sequence(lambda o: S.SequentialLR(o, milestones=[3], schedulers=[
            S.LinearLR(o, start_factor=1 / 3, end_factor=1.0, total_iters=2),
            S.CosineAnnealingLR(o, T_max=12 - 3, eta_min=1e-4)]), base, 12),
        "cosine_warmup5": lr_sequence(lambda o: S.SequentialLR(o, milestones=[5], schedulers=[
            S.LinearLR(o, start_factor=1 / 5, end_factor=1.0, total_iters=4),
            S.CosineAnnealingLR(o, T_max=20 - 5, eta_min=0.0)]), base, 20),
    }, base=base)
