"""PyTorch eager inference latency of the bench students and teachers (same architectures as
shared/bench/torch_kd.py, imported from the folder on PYTHONPATH), for scripts/bench-vs-pytorch.sh.
Prints one JSON line per model: {"model", "batch1_ms", "batch256_ms_per_sample"} (medians, eval
mode, torch.no_grad)."""
import json, sys, time, torch
from torch_kd import mlp, cnn

def per_sample_ms(model, shape, batch, seconds):
    x = torch.rand(batch, *shape)
    with torch.no_grad():
        for _ in range(5): model(x)
        times, begin = [], time.perf_counter()
        while time.perf_counter() - begin < seconds or len(times) < 5:
            t0 = time.perf_counter(); model(x); times.append((time.perf_counter() - t0) * 1000 / batch)
    return sorted(times)[len(times) // 2]

if __name__ == '__main__':
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    models = {'mlp-teacher': (mlp([1200, 1200], 0.2), (1, 28, 28)), 'mlp-student': (mlp([64], 0), (1, 28, 28)),
              'cnn-torchref': (cnn(32, 64, 256), (1, 28, 28)), 'cnn-student': (cnn(8, 16, 32), (1, 28, 28))}
    for name, (model, shape) in models.items():
        model.eval()
        print(json.dumps({'model': name, 'batch1_ms': per_sample_ms(model, shape, 1, seconds),
                          'batch256_ms_per_sample': per_sample_ms(model, shape, 256, seconds)}), flush=True)
