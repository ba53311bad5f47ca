"""(Verbatim copy of shared/bench/torch_kd.py, vendored so scripts/bench-vs-pytorch.sh runs from a fresh clone.)
PyTorch reference for the KD runner: same data, same architectures, same loss.
Usage: python torch_kd.py --arch mlp|cnn --epochs N --threads 2
Prints per-phase accuracy, seconds per epoch and samples/s, as JSON lines."""
import argparse, gzip, json, time, numpy as np, torch, torch.nn as nn, torch.nn.functional as F

def idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)

def data_dir():
    """KD_DATA_DIR, else where Debian's dataset-fashion-mnist package put its IDX files."""
    import os, subprocess
    if os.environ.get('KD_DATA_DIR'):
        return os.environ['KD_DATA_DIR']
    files = subprocess.run(['dpkg', '-L', 'dataset-fashion-mnist'], capture_output=True, text=True).stdout.split()
    return os.path.dirname(next(f for f in files if f.endswith('train-images-idx3-ubyte.gz')))

def load(root=None):
    root = root or data_dir()
    xtr = idx(f'{root}/train-images-idx3-ubyte.gz').astype(np.float32) / 255.0
    ytr = idx(f'{root}/train-labels-idx1-ubyte.gz').astype(np.int64)
    xte = idx(f'{root}/t10k-images-idx3-ubyte.gz').astype(np.float32) / 255.0
    yte = idx(f'{root}/t10k-labels-idx1-ubyte.gz').astype(np.int64)
    return (torch.from_numpy(xtr), torch.from_numpy(ytr), torch.from_numpy(xte), torch.from_numpy(yte))

def mlp(hidden, dropout):
    layers, d = [nn.Flatten()], 784
    for h in hidden:
        layers += [nn.Linear(d, h), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout else [])
        d = h
    return nn.Sequential(*layers, nn.Linear(d, 10))

def cnn(c1, c2, fc):
    return nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(c2 * 49, fc), nn.ReLU(), nn.Linear(fc, 10))

def kd_loss(s, t, y, T, alpha):
    kl = F.kl_div(F.log_softmax(s / T, 1), F.log_softmax(t / T, 1), reduction='batchmean', log_target=True)
    return alpha * T * T * kl + (1 - alpha) * F.cross_entropy(s, y)

def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return sum((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(x), 1000)) / len(x)

def fit(model, data, epochs, lr, bs, teacher=None, T=4.0, alpha=0.9, shape=None):
    xtr, ytr, xte, yte = data
    if shape: xtr, xte = xtr.view(-1, *shape), xte.view(-1, *shape)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(0)
    times = []
    for ep in range(epochs):
        model.train(); t0 = time.perf_counter()
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(xtr), bs):
            idx_ = perm[i:i + bs]; xb, yb = xtr[idx_], ytr[idx_]
            s = model(xb)
            if teacher is not None:
                with torch.no_grad(): t = teacher(xb)
                loss = kd_loss(s, t, yb, T, alpha)
            else:
                loss = F.cross_entropy(s, yb)
            opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
        times.append(time.perf_counter() - t0)
    return accuracy(model, xte, yte), times

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--arch', default='mlp'); ap.add_argument('--epochs', type=int, default=5)
    ap.add_argument('--threads', type=int, default=2); ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--bs', type=int, default=128); ap.add_argument('--T', type=float, default=4.0)
    ap.add_argument('--alpha', type=float, default=0.9)
    ap.add_argument('--teacher-epochs', type=int, default=None); ap.add_argument('--student-hidden', default='64')
    ap.add_argument('--save-teacher', default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads); torch.manual_seed(a.seed)
    data = load(); n = len(data[0])
    if a.arch == 'mlp':
        hid = [int(h) for h in a.student_hidden.split(',')]
        teacher, mk_student, shape = mlp([1200, 1200], 0.2), (lambda: mlp(hid, 0)), None
    else:
        teacher, mk_student, shape = cnn(32, 64, 256), (lambda: cnn(8, 16, 32)), (1, 28, 28)
    for name, model, t in [('teacher', teacher, None), ('student_ce', mk_student(), None), ('student_kd', None, teacher)]:
        if model is None:
            torch.manual_seed(a.seed + 1); model = mk_student(); teacher.eval()
        else:
            torch.manual_seed(a.seed + 1) if name != 'teacher' else None
        acc, times = fit(model, data, (a.teacher_epochs or a.epochs) if name == 'teacher' else a.epochs, 1e-3, a.bs, teacher=t, T=a.T, alpha=a.alpha, shape=shape)
        if name == 'teacher' and a.save_teacher:
            from safetensors.torch import save_file
            save_file({k: v.contiguous() for k, v in model.state_dict().items()}, a.save_teacher)
        med = sorted(times)[len(times) // 2]
        print(json.dumps({'arch': a.arch, 'phase': name, 'acc': round(acc, 4), 'epoch_s_median': round(med, 3),
                          'samples_per_s': round(n / med), 'params': sum(p.numel() for p in model.parameters())}), flush=True)
