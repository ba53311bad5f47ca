"""Layer fixtures: for each layer an input x, its weights, PyTorch's output y, a random upstream
gradient dy, and PyTorch's dx and parameter gradients from autograd (y.backward(dy)).

Keys: x, y, dy, dx, then per parameter <name> (value) and grad.<name>; buffers as
<name> (before) and after.<name> (after the forward passes). Small sizes keep files at a few KB.
"""
import torch
from torch import nn


def run(module, x, dy=None, training=True):
    """Forward x through module in the given mode, backward a random (or given) dy; returns
    the tensors to save: inputs, parameters, output, gradients."""
    module.train(training)
    params = {name: p.detach().clone() for name, p in module.named_parameters()}
    x = x.clone().requires_grad_(True)
    y = module(x)
    dy = torch.randn_like(y) if dy is None else dy
    y.backward(dy)
    out = {"x": x, "y": y, "dy": dy, "dx": x.grad}
    for name, p in module.named_parameters():
        out[name] = params[name]
        out[f"grad.{name}"] = p.grad
    # Clone: for identities (eval Dropout) y is x and dx is dy, and safetensors refuses shared memory.
    return {k: v.detach().clone() for k, v in out.items()}


def randomize_batchnorm(bn):
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)


def generate(save):
    torch.manual_seed(1234)

    # Linear, with and without bias.
    save("layer_linear", run(nn.Linear(5, 3), torch.randn(4, 5)))
    save("layer_linear_nobias", run(nn.Linear(5, 3, bias=False), torch.randn(4, 5)))

    # Conv2d: stride 1 and 2 x padding 0 and 1, Cin 3 -> Cout 4, non-square 7x9 input.
    for stride in (1, 2):
        for padding in (0, 1):
            conv = nn.Conv2d(3, 4, 3, stride=stride, padding=padding)
            save(f"layer_conv2d_s{stride}_p{padding}", run(conv, torch.randn(2, 3, 7, 9)),
                 stride=stride, padding=padding)
    # A 5x5 kernel with stride 2, padding 2, no bias, 2 -> 3 channels.
    conv = nn.Conv2d(2, 3, 5, stride=2, padding=2, bias=False)
    save("layer_conv2d_k5_s2_p2_nobias", run(conv, torch.randn(2, 2, 8, 6)))

    # Pooling: k2 s2 (odd width, so the last column is dropped) and k3 s2 p1 (overlapping windows).
    for pool, name in ((nn.MaxPool2d, "maxpool"), (nn.AvgPool2d, "avgpool")):
        save(f"layer_{name}_k2s2", run(pool(2), torch.randn(2, 3, 6, 7)))
        save(f"layer_{name}_k3s2p1", run(pool(3, stride=2, padding=1), torch.randn(2, 3, 7, 9)))
    # Ties: small integers, so many windows hold repeated maxima; PyTorch routes to the first.
    ties = torch.randint(0, 3, (2, 2, 6, 6)).float()
    save("layer_maxpool_ties", run(nn.MaxPool2d(3, stride=2, padding=1), ties))

    # BatchNorm in train mode: two forward passes (x1, then x2 with backward), running stats after.
    for name, bn, shape in (("batchnorm1d", nn.BatchNorm1d(4, momentum=0.2), (6, 4)),
                            ("batchnorm2d", nn.BatchNorm2d(3), (4, 3, 3, 5))):
        randomize_batchnorm(bn)
        x1 = torch.randn(*shape) * 2 + 0.5
        with torch.no_grad():
            bn.train()
            y1 = bn(x1)
        out = run(bn, torch.randn(*shape) * 1.5 - 0.3, training=True)
        out.update({"x1": x1, "y1": y1, "after.running_mean": bn.running_mean,
                    "after.running_var": bn.running_var, "after.num_batches_tracked": bn.num_batches_tracked})
        save(f"layer_{name}_train", out, momentum=bn.momentum, eps=bn.eps)

    # BatchNorm in eval mode with non-trivial running statistics.
    for name, bn, shape in (("batchnorm1d", nn.BatchNorm1d(4), (5, 4)),
                            ("batchnorm2d", nn.BatchNorm2d(3), (2, 3, 4, 3))):
        randomize_batchnorm(bn)
        with torch.no_grad():
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
        out = run(bn, torch.randn(*shape), training=False)
        out.update({"running_mean": bn.running_mean, "running_var": bn.running_var})
        save(f"layer_{name}_eval", out)

    # Dropout in eval mode is the identity.
    save("layer_dropout_eval", run(nn.Dropout(0.5), torch.randn(3, 7), training=False))

    # ReLU with some exact zeros (gradient 0 there, as PyTorch).
    x = torch.randn(3, 10)
    x[0, :3] = 0
    save("layer_relu", run(nn.ReLU(), x))

    # Flatten [N, C, H, W] -> [N, C*H*W].
    save("layer_flatten", run(nn.Flatten(), torch.randn(2, 3, 4, 5)))

    # Whole models: state_dict before, logits, every parameter gradient, buffers after.
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(36, 16), nn.ReLU(), nn.Linear(16, 5))
    save_model(save, "model_mlp", mlp, torch.randn(4, 1, 6, 6))
    cnn = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(4 * 4 * 4, 5))
    randomize_batchnorm(cnn[1])
    save_model(save, "model_cnn", cnn, torch.randn(3, 2, 8, 8))

    # A 3x3 stride-1 padding-1 convolution with 12 input channels, the shape kd's direct kernel
    # takes (Direct3x3: at least 8 input channels), and 10 output channels (not a multiple of
    # its 8). Its own seed, so the fixtures above stay as they were.
    torch.manual_seed(99)
    conv = nn.Conv2d(12, 10, 3, padding=1)
    save("layer_conv2d_c12_direct", run(conv, torch.randn(3, 12, 6, 7)), stride=1, padding=1)


def save_model(save, name, model, x, training=True):
    """Saves sd.<key> (state_dict before), x, logits (the model's output), dy, dx, grad.<key>,
    after.<key> (buffers after the forward, in training mode unless told) and the state_dict key
    list as metadata."""
    model.train(training)
    state = {f"sd.{k}": v.clone() for k, v in model.state_dict().items()}
    x = x.clone().requires_grad_(True)
    logits = model(x)
    dy = torch.randn_like(logits)
    logits.backward(dy)
    out = {"x": x, "logits": logits, "dy": dy, "dx": x.grad, **state}
    out.update({f"grad.{k}": p.grad for k, p in model.named_parameters()})
    out.update({f"after.{k}": b for k, b in model.named_buffers()})
    save(name, out, state_dict_keys=list(model.state_dict().keys()),
         input_shape=list(x.shape[1:]))
