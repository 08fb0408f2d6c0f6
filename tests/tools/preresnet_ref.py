"""A PyTorch twin of the Network Slimming reference's pre-activation ResNet
(models/preresnet.py, models/channel_selection.py), its sparsity training step (main.py's
updateBN) and its pruning (resprune.py), re-implemented here from reading them, used to check
this project's ResNet against PyTorch.

usage: preresnet_ref.py SPEC.json
SPEC holds: checkpoint (our safetensors), input (raw float32 NCHW bytes), n, and optionally
sgd {labels, lr, momentum, weight_decay, lam, steps}, ratios, pruned (our pruned
checkpoints). Prints one JSON object: eval and training-mode logits, the running statistics
after the training-mode forward, the state after the sparsity SGD steps, per ratio the
reference's cfg, masked logits and slim model tensors, and per pruned checkpoint its cfg and
eval logits. Every checkpoint is loaded with load_state_dict(strict=True).

The safetensors format is parsed by hand (the `safetensors` package is not installed here):
8-byte little-endian header length, JSON header, raw little-endian tensor bytes.
"""
import json
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# The safetensors reader the VGG interop test uses (this folder is on sys.path as the
# script's own, and bench/torch_bench.py adds it).
from torch_load import load_file  # noqa: E402
from channel_selection import ChannelSelection  # noqa: E402


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, cfg, stride=1, downsample=None):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.select = ChannelSelection(inplanes)
        self.conv1 = nn.Conv2d(cfg[0], cfg[1], kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cfg[1])
        self.conv2 = nn.Conv2d(cfg[1], cfg[2], kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(cfg[2])
        self.conv3 = nn.Conv2d(cfg[2], planes * 4, kernel_size=1, bias=False)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.conv1(self.relu(self.select(self.bn1(x))))
        out = self.conv2(self.relu(self.bn2(out)))
        out = self.conv3(self.relu(self.bn3(out)))
        residual = self.downsample(x) if self.downsample is not None else x
        return out + residual


class ResNet(nn.Module):
    """The reference's `resnet(depth, cfg=cfg)`; `planes` generalises its fixed [16, 32, 64]."""

    def __init__(self, depth, cfg, num_classes=10, planes=(16, 32, 64)):
        super().__init__()
        assert (depth - 2) % 9 == 0
        n = (depth - 2) // 9
        self.inplanes = planes[0]
        self.conv1 = nn.Conv2d(3, planes[0], kernel_size=3, padding=1, bias=False)
        self.layer1 = self._make_layer(planes[0], n, cfg[0 : 3 * n])
        self.layer2 = self._make_layer(planes[1], n, cfg[3 * n : 6 * n], stride=2)
        self.layer3 = self._make_layer(planes[2], n, cfg[6 * n : 9 * n], stride=2)
        self.bn = nn.BatchNorm2d(planes[2] * 4)
        self.select = ChannelSelection(planes[2] * 4)
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AvgPool2d(8)
        self.fc = nn.Linear(cfg[-1], num_classes)

    def _make_layer(self, planes, blocks, cfg, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * 4:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * 4, kernel_size=1, stride=stride, bias=False)
            )
        layers = [Bottleneck(self.inplanes, planes, cfg[0:3], stride, downsample)]
        self.inplanes = planes * 4
        for i in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes, cfg[3 * i : 3 * (i + 1)]))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.conv1(x))))
        x = self.relu(self.select(self.bn(x)))
        x = self.avgpool(x)
        return self.fc(x.view(x.size(0), -1))


def bench_model(request, classes):
    """The model bench/torch_bench.py times: a request's depth, cfg and stage widths."""
    return ResNet(request["depth"], request["cfg"], classes, tuple(request["planes"]))


def model_of(path):
    state, meta = load_file(path)
    assert meta["arch"] == "resnet", meta
    cfg = json.loads(meta["cfg"])
    planes = json.loads(meta.get("planes", "[16, 32, 64]"))
    num_classes = state["fc.weight"].shape[0]
    model = ResNet(int(meta["depth"]), cfg, num_classes, planes)
    model.load_state_dict(state, strict=True)
    return model, cfg, planes


def prune(model, depth, percent, planes, x):
    """resprune.py: global threshold over every BN weight, masked model, cfg, slim model."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    total = sum(m.weight.data.shape[0] for m in bns)
    values = torch.cat([m.weight.data.abs().clone() for m in bns])
    y, _ = torch.sort(values)
    thre = y[int(total * percent)]
    cfg, cfg_mask = [], []
    for m in bns:
        mask = m.weight.data.abs().gt(thre).float()
        m.weight.data.mul_(mask)
        m.bias.data.mul_(mask)
        cfg.append(int(torch.sum(mask)))
        cfg_mask.append(mask.clone())
    model.eval()
    with torch.no_grad():
        masked = model(x).reshape(-1).tolist()
    new = ResNet(depth, cfg, model.fc.weight.shape[0], planes)
    old_modules, new_modules = list(model.modules()), list(new.modules())
    layer_in_cfg, start_mask, end_mask, conv_count = 0, torch.ones(3), cfg_mask[0], 0
    idx = lambda m: np.resize(np.squeeze(np.argwhere(m.numpy())), (int(m.sum()),)).tolist()
    for i, (m0, m1) in enumerate(zip(old_modules, new_modules)):
        if isinstance(m0, nn.BatchNorm2d):
            idx1 = idx(end_mask)
            if isinstance(old_modules[i + 1], ChannelSelection):
                m1.weight.data = m0.weight.data.clone()
                m1.bias.data = m0.bias.data.clone()
                m1.running_mean = m0.running_mean.clone()
                m1.running_var = m0.running_var.clone()
                m2 = new_modules[i + 1]
                m2.indexes.data.zero_()
                m2.indexes.data[idx1] = 1.0
            else:
                m1.weight.data = m0.weight.data[idx1].clone()
                m1.bias.data = m0.bias.data[idx1].clone()
                m1.running_mean = m0.running_mean[idx1].clone()
                m1.running_var = m0.running_var[idx1].clone()
            layer_in_cfg += 1
            start_mask = end_mask.clone()
            if layer_in_cfg < len(cfg_mask):
                end_mask = cfg_mask[layer_in_cfg]
        elif isinstance(m0, nn.Conv2d):
            if conv_count == 0:
                m1.weight.data = m0.weight.data.clone()
                conv_count += 1
                continue
            if isinstance(old_modules[i - 1], (ChannelSelection, nn.BatchNorm2d)):
                conv_count += 1
                w1 = m0.weight.data[:, idx(start_mask), :, :].clone()
                if conv_count % 3 != 1:
                    w1 = w1[idx(end_mask), :, :, :].clone()
                m1.weight.data = w1.clone()
                continue
            m1.weight.data = m0.weight.data.clone()
        elif isinstance(m0, nn.Linear):
            m1.weight.data = m0.weight.data[:, idx(start_mask)].clone()
            m1.bias.data = m0.bias.data.clone()
    slim = {k: v.reshape(-1).tolist() for k, v in new.state_dict().items() if v.dtype == torch.float32}
    return {"ratio": percent, "threshold": float(thre), "cfg": cfg, "masked": masked, "slim": slim}


def sgd_steps(path, x, sgd):
    """main.py's training step: cross-entropy, backward, updateBN, SGD(momentum, weight decay)."""
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
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.grad.data.add_(sgd["lam"] * torch.sign(m.weight.data))
        opt.step()
    return {k: v.reshape(-1).tolist() for k, v in model.state_dict().items() if v.dtype == torch.float32}


def main():
    spec = json.load(open(sys.argv[1]))
    n = spec["n"]
    x = torch.frombuffer(bytearray(open(spec["input"], "rb").read()), dtype=torch.float32)
    x = x.reshape(n, 3, 32, 32)
    out = {}
    model, cfg, planes = model_of(spec["checkpoint"])
    depth = len(cfg) + 1
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
