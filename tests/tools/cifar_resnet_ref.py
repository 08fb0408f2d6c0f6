"""A PyTorch twin of this project's CIFAR ResNet with basic blocks (He et al. 2016, Sec. 4.2;
packages/cifar-resnet), written from the paper and torchvision's module names: 3x3 stem conv
+ BN + ReLU, three stages of n basic blocks (conv3x3-BN-ReLU-conv3x3-BN, plus the identity or
a 1x1 conv + BN projection where the shape changes, then ReLU), global average pooling and a
linear head; depth 6n+2. Also the sparsity training step (main.py's updateBN, applied to each
block's bn1 only) and the Network Slimming prune of the inner channels (the reference's
threshold rule, resprune.py-style masking and copying, restricted to bn1).

usage: cifar_resnet_ref.py SPEC.json
SPEC holds: checkpoint (our safetensors), input (raw float32 NCHW bytes), n, and optionally
sgd {labels, lr, momentum, weight_decay, lam, steps}, ratios, pruned (our pruned
checkpoints), count_params [depths]. Prints one JSON object: eval and training-mode logits,
the running statistics after the training-mode forward, the state after the sparsity SGD
steps, per ratio the threshold, cfg, masks, masked logits and slim model tensors, per pruned
checkpoint its cfg and eval logits, and parameter counts of default models. Every checkpoint
is loaded with load_state_dict(strict=True).
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_load import load_file  # noqa: E402  (this folder is on sys.path)


class BasicBlock(nn.Module):
    def __init__(self, inplanes, inner, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, inner, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(inner)
        self.conv2 = nn.Conv2d(inner, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)


class CifarResNet(nn.Module):
    def __init__(self, depth, cfg=None, num_classes=10, planes=(16, 32, 64)):
        super().__init__()
        assert (depth - 2) % 6 == 0
        n = (depth - 2) // 6
        if cfg is None:
            cfg = [p for p in planes for _ in range(n)]
        assert len(cfg) == 3 * n
        self.conv1 = nn.Conv2d(3, planes[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes[0])
        inplanes = planes[0]
        for s in range(3):
            blocks = []
            for i in range(n):
                stride = 2 if s > 0 and i == 0 else 1
                blocks.append(BasicBlock(inplanes, cfg[s * n + i], planes[s], stride))
                inplanes = planes[s]
            setattr(self, f"layer{s + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(planes[2], num_classes)

    def blocks(self):
        return [b for layer in (self.layer1, self.layer2, self.layer3) for b in layer]

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def bench_model(request, classes):
    """The model bench/torch_bench.py times: a request's depth, cfg (inner widths) and planes."""
    return CifarResNet(request["depth"], request["cfg"], classes, tuple(request["planes"]))


def model_of(path):
    state, meta = load_file(path)
    assert meta["arch"] == "cifar-resnet", meta
    cfg, planes = json.loads(meta["cfg"]), json.loads(meta["planes"])
    model = CifarResNet(int(meta["depth"]), cfg, state["fc.weight"].shape[0], planes)
    model.load_state_dict(state, strict=True)
    return model, cfg, planes


def floats(model):
    return {k: v.reshape(-1).tolist() for k, v in model.state_dict().items() if v.dtype == torch.float32}


def prune(model, depth, percent, planes, x):
    """The global threshold over every block's bn1 |weight|, the masked model, the slim one."""
    bns = [b.bn1 for b in model.blocks()]
    total = sum(m.weight.data.shape[0] for m in bns)
    y, _ = torch.sort(torch.cat([m.weight.data.abs().clone() for m in bns]))
    thre = y[int(total * percent)]
    masks = [m.weight.data.abs().gt(thre).float() for m in bns]
    cfg = [int(mask.sum()) for mask in masks]
    for m, mask in zip(bns, masks):
        m.weight.data.mul_(mask)
        m.bias.data.mul_(mask)
    model.eval()
    with torch.no_grad():
        masked = model(x).reshape(-1).tolist()
    new = CifarResNet(depth, cfg, model.fc.weight.shape[0], planes)
    new.load_state_dict(
        {k: v for k, v in model.state_dict().items() if not k.startswith("layer")}, strict=False
    )
    for old, blk, mask in zip(model.blocks(), new.blocks(), masks):
        idx = torch.nonzero(mask).reshape(-1)
        blk.conv1.weight.data = old.conv1.weight.data[idx].clone()
        for name in ("weight", "bias", "running_mean", "running_var"):
            getattr(blk.bn1, name).data = getattr(old.bn1, name).data[idx].clone()
        blk.conv2.weight.data = old.conv2.weight.data[:, idx].clone()
        blk.bn2.load_state_dict(old.bn2.state_dict())
        if old.downsample is not None:
            blk.downsample.load_state_dict(old.downsample.state_dict())
    new.eval()
    with torch.no_grad():
        slim_logits = new(x).reshape(-1).tolist()
    return {
        "ratio": percent,
        "threshold": float(thre),
        "cfg": cfg,
        "masks": [[bool(v) for v in mask.tolist()] for mask in masks],
        "masked": masked,
        "slim_logits": slim_logits,
        "slim": floats(new),
    }


def sgd_steps(path, x, sgd):
    """main.py's training step: cross-entropy, backward, updateBN on bn1, SGD(momentum, wd)."""
    model, _, _ = model_of(path)
    model.train()
    labels = torch.tensor(sgd["labels"], dtype=torch.int64)
    opt = torch.optim.SGD(
        model.parameters(), lr=sgd["lr"], momentum=sgd["momentum"], weight_decay=sgd["weight_decay"]
    )
    for _ in range(sgd["steps"]):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        for blk in model.blocks():
            blk.bn1.weight.grad.data.add_(sgd["lam"] * torch.sign(blk.bn1.weight.data))
        opt.step()
    return floats(model)


def main():
    spec = json.load(open(sys.argv[1]))
    out = {}
    out["params"] = {
        str(d): sum(p.numel() for p in CifarResNet(d).parameters()) for d in spec.get("count_params", [])
    }
    if "checkpoint" not in spec:
        print(json.dumps(out))
        return
    n = spec["n"]
    x = torch.frombuffer(bytearray(open(spec["input"], "rb").read()), dtype=torch.float32)
    x = x.reshape(n, 3, 32, 32)
    model, cfg, planes = model_of(spec["checkpoint"])
    depth = 2 * len(cfg) + 2
    model.eval()
    with torch.no_grad():
        out["eval"] = model(x).reshape(-1).tolist()
        model.train()
        out["train"] = model(x).reshape(-1).tolist()
    out["running"] = {
        k: v.reshape(-1).tolist() for k, v in model.state_dict().items() if "running_" in k
    }
    if "sgd" in spec:
        out["stepped"] = sgd_steps(spec["checkpoint"], x, spec["sgd"])
    out["prune"] = []
    for ratio in spec.get("ratios", []):
        model, _, _ = model_of(spec["checkpoint"])
        out["prune"].append(prune(model, depth, ratio, planes, x))
    out["pruned"] = []
    for path in spec.get("pruned", []):
        model, pcfg, _ = model_of(path)
        model.eval()
        with torch.no_grad():
            out["pruned"].append({"cfg": pcfg, "logits": model(x).reshape(-1).tolist()})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
