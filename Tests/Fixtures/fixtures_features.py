"""Feature distillation references: the FitNets hint and attention transfer, each with its
value and autograd gradients w.r.t. the student feature and the regressor's weights, and three
whole training steps of a student with one hint pair and one attention pair on top of the KD
loss.

Losses (float64 from float32 inputs, stored as float32):
    hint_<regressor>      s, t, (regressor init) weight/bias; loss [1]; grad_s; grad_weight/bias
        conv1x1, conv3x3 (padding 1): nn.Conv2d with bias, on [N, C, H, W]; linear: nn.Linear on
        [N, D]; none: s and t of one shape. loss = F.mse_loss(regressor(s), t) (mdistiller FitNet).
    attention_<case>      s, t; loss [1]; grad_s. at(f) = F.normalize(f.pow(2).mean(1).view(N, -1)),
        loss = (at(s) - at(t)).pow(2).mean(), the larger map adaptive-average-pooled to
        (min H, min W) first: same (5x5 both), student_larger (8x8 vs 5x5, windows overlap),
        teacher_larger (4x4 vs 7x7), and zero (a student sample that is all zeros: F.normalize's eps).

Training step (train_features_adam_kd): student conv(2->4) relu maxpool conv(4->6) relu flatten
linear(96->5); teacher (eval, fixed) conv(2->5) relu maxpool conv(5->8) relu avgpool flatten
linear(32->5). Pairs: hint student layer 1 -> teacher layer 1 through a conv1x1 regressor (4->5),
weight 0.5; attention student layer 4 [6, 4, 4] -> teacher layer 5 [8, 2, 2] (student pooled),
weight 2. loss = KD(T=4, alpha=0.7) + 0.5 hint + 2 at; Adam(lr 1e-2) over the student's and the
regressor's parameters. Keys as fixtures_training.py, plus regressor.init.<key> /
step<k>.regressor.<key>, step<k>.hint and step<k>.attention (the unweighted terms).
"""
import torch
import torch.nn.functional as F
from torch import nn

from fixtures_training import kd_loss


def attention_map(f):
    return F.normalize(f.pow(2).mean(1).reshape(f.size(0), -1))


def attention_loss(s, t):
    h, w = min(s.shape[2], t.shape[2]), min(s.shape[3], t.shape[3])
    if s.shape[2:] != (h, w):
        s = F.adaptive_avg_pool2d(s, (h, w))
    if t.shape[2:] != (h, w):
        t = F.adaptive_avg_pool2d(t, (h, w))
    return (attention_map(s) - attention_map(t)).pow(2).mean()


def regressor(kind, s_shape, t_shape):
    if kind == "linear":
        return nn.Linear(s_shape[1], t_shape[1])
    if kind == "none":
        return nn.Identity()
    k = 1 if kind == "conv1x1" else 3
    return nn.Conv2d(s_shape[1], t_shape[1], k, padding=k // 2)


def hint_fixture(save, g, kind, s_shape, t_shape):
    torch.manual_seed(31)
    reg = regressor(kind, s_shape, t_shape)
    s = torch.randn(*s_shape, generator=g)
    t = torch.randn(*t_shape, generator=g).relu()
    out = {"s": s, "t": t}
    out.update({f"init.{k}": v.detach().clone() for k, v in reg.named_parameters()})
    reg = reg.double()
    s64 = s.double().requires_grad_(True)
    loss = F.mse_loss(reg(s64), t.double())
    loss.backward()
    out.update({"loss": loss.detach().reshape(1), "grad_s": s64.grad})
    out.update({f"grad.{k}": p.grad for k, p in reg.named_parameters()})
    save(f"hint_{kind}", out, regressor=kind)


def attention_fixture(save, g, name, s_shape, t_shape, zero_sample=False):
    s = torch.randn(*s_shape, generator=g)
    t = torch.randn(*t_shape, generator=g).relu()
    if zero_sample:
        s[0].zero_()
    s64 = s.double().requires_grad_(True)
    loss = attention_loss(s64, t.double())
    loss.backward()
    save(f"attention_{name}", {"s": s, "t": t, "loss": loss.detach().reshape(1), "grad_s": s64.grad})


def make_student():
    torch.manual_seed(41)
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1),
                         nn.ReLU(), nn.Flatten(), nn.Linear(96, 5))


def make_teacher():
    torch.manual_seed(42)
    return nn.Sequential(nn.Conv2d(2, 5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(5, 8, 3, padding=1),
                         nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(32, 5))


def taps(model, x, layers):
    """The model's logits and the outputs of `layers` (indices into the Sequential)."""
    features = {}
    h = x
    for i, layer in enumerate(model):
        h = layer(h)
        if i in layers:
            features[i] = h
    return h, features


def train_step_fixture(save, g, steps=3):
    student, teacher = make_student(), make_teacher().eval()
    torch.manual_seed(43)
    reg = nn.Conv2d(4, 5, 1)
    x = torch.randn(8, 2, 8, 8, generator=g)
    y = torch.randint(0, 5, (8,), generator=g)
    out = {"x": x, "y": y}
    out.update({f"init.{k}": v.clone() for k, v in student.state_dict().items()})
    out.update({f"teacher.{k}": v.clone() for k, v in teacher.state_dict().items()})
    out.update({f"regressor.init.{k}": v.detach().clone() for k, v in reg.named_parameters()})
    lr = 1e-2
    opt = torch.optim.Adam(list(student.parameters()) + list(reg.parameters()), lr=lr)
    for step in range(1, steps + 1):
        opt.zero_grad()
        with torch.no_grad():
            t_logits, t_feat = taps(teacher, x, {1, 5})
        logits, s_feat = taps(student, x, {1, 4})
        hint = F.mse_loss(reg(s_feat[1]), t_feat[1])
        at = attention_loss(s_feat[4], t_feat[5])
        loss = kd_loss(logits, t_logits, y) + 0.5 * hint + 2 * at
        loss.backward()
        opt.step()
        out[f"step{step}.loss"] = loss.detach().reshape(1)
        out[f"step{step}.hint"] = hint.detach().reshape(1)
        out[f"step{step}.attention"] = at.detach().reshape(1)
        out[f"step{step}.logits"] = logits.detach().clone()
        out.update({f"step{step}.{k}": p.detach().clone() for k, p in student.named_parameters()})
        out.update({f"step{step}.regressor.{k}": p.detach().clone() for k, p in reg.named_parameters()})
    save("train_features_adam_kd", out, state_dict_keys=list(student.state_dict().keys()), steps=steps, lr=lr,
         hint=dict(student=1, teacher=1, weight=0.5), attention=dict(student=4, teacher=5, weight=2.0))


def generate(save):
    g = torch.Generator().manual_seed(20261202)
    hint_fixture(save, g, "conv1x1", (4, 3, 5, 5), (4, 6, 5, 5))
    hint_fixture(save, g, "conv3x3", (4, 3, 5, 5), (4, 2, 5, 5))
    hint_fixture(save, g, "linear", (4, 7), (4, 9))
    hint_fixture(save, g, "none", (4, 3, 2, 2), (4, 3, 2, 2))
    attention_fixture(save, g, "same", (4, 3, 5, 5), (4, 6, 5, 5))
    attention_fixture(save, g, "student_larger", (4, 3, 8, 8), (4, 6, 5, 5))
    attention_fixture(save, g, "teacher_larger", (4, 3, 4, 4), (4, 5, 7, 7))
    attention_fixture(save, g, "zero", (3, 2, 3, 3), (3, 4, 3, 3), zero_sample=True)
    train_step_fixture(save, g)
