"""A PyTorch twin of the Network Slimming reference's DenseNet (models/densenet.py,
models/channel_selection.py), its sparsity step (main.py's updateBN with SGD) and its
pruning (denseprune.py), re-implemented from reading them, for the agreement tests.

usage: densenet_ref.py JOB.json
JOB.json: {"checkpoint": our safetensors file, "input": raw float32 NCHW bytes, "n": batch,
           "labels": [int] (for "sgd"), "sgd": {"lr", "momentum", "weight_decay", "s", "steps"},
           "prune": [percent, ...], "more": [other checkpoints to load and run in eval mode]}
Prints one JSON object: the cfg, eval- and train-mode logits, the running statistics after
the train-mode pass, per SGD step the parameters and momentum buffers, per percent the
pruned cfg, the masked model's and the slim model's eval logits; per further checkpoint its
cfg and eval logits.
The safetensors format is parsed by hand: 8-byte little-endian header length, JSON header,
raw little-endian tensor bytes.
"""
import copy
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


class BasicBlock(nn.Module):
    def __init__(self, inplanes, cfg, growthRate):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.select = ChannelSelection(inplanes)
        self.conv1 = nn.Conv2d(cfg, growthRate, kernel_size=3, padding=1, bias=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.conv1(self.relu(self.select(self.bn1(x))))
        return torch.cat((x, out), 1)


class Transition(nn.Module):
    def __init__(self, inplanes, outplanes, cfg):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.select = ChannelSelection(inplanes)
        self.conv1 = nn.Conv2d(cfg, outplanes, kernel_size=1, bias=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return F.avg_pool2d(self.conv1(self.relu(self.select(self.bn1(x)))), 2)


class densenet(nn.Module):
    def __init__(self, depth, growthRate, num_classes, cfg=None):
        super().__init__()
        n = (depth - 4) // 3
        self.growthRate = growthRate
        if cfg is None:
            cfg, start = [], growthRate * 2
            for _ in range(3):
                cfg.append([start + growthRate * i for i in range(n + 1)])
                start += growthRate * n
            cfg = [v for sub in cfg for v in sub]
        assert len(cfg) == 3 * n + 3
        self.inplanes = growthRate * 2
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=3, padding=1, bias=False)
        self.dense1 = self._block(n, cfg[0:n])
        self.trans1 = self._transition(cfg[n])
        self.dense2 = self._block(n, cfg[n + 1 : 2 * n + 1])
        self.trans2 = self._transition(cfg[2 * n + 1])
        self.dense3 = self._block(n, cfg[2 * n + 2 : 3 * n + 2])
        self.bn = nn.BatchNorm2d(self.inplanes)
        self.select = ChannelSelection(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AvgPool2d(8)
        self.fc = nn.Linear(cfg[-1], num_classes)

    def _block(self, blocks, cfg):
        layers = []
        for i in range(blocks):
            layers.append(BasicBlock(self.inplanes, cfg[i], self.growthRate))
            self.inplanes += self.growthRate
        return nn.Sequential(*layers)

    def _transition(self, cfg):
        inplanes = self.inplanes
        return Transition(inplanes, inplanes, cfg)

    def forward(self, x):
        x = self.conv1(x)
        x = self.trans1(self.dense1(x))
        x = self.trans2(self.dense2(x))
        x = self.dense3(x)
        x = self.relu(self.select(self.bn(x)))
        x = self.avgpool(x)
        return self.fc(x.view(x.size(0), -1))


def prune(model, percent, depth, growthRate, num_classes):
    """denseprune.py: global threshold over every BN's |weight|, masks, the masked model
    (BN weight and bias multiplied by the mask in place) and the slim model."""
    model = copy.deepcopy(model)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    values = torch.cat([m.weight.data.abs().clone() for m in bns])
    y, _ = torch.sort(values)
    thre = y[int(values.shape[0] * percent)]
    cfg, cfg_mask = [], []
    for m in bns:
        mask = m.weight.data.abs().clone().gt(thre).float()
        m.weight.data.mul_(mask)
        m.bias.data.mul_(mask)
        cfg.append(int(torch.sum(mask)))
        cfg_mask.append(mask.clone())
    newmodel = densenet(depth, growthRate, num_classes, cfg=cfg)
    old_modules, new_modules = list(model.modules()), list(newmodel.modules())
    layer_id_in_cfg, start_mask, end_mask, first_conv = 0, torch.ones(3), cfg_mask[0], True
    for layer_id, (m0, m1) in enumerate(zip(old_modules, new_modules)):
        if isinstance(m0, nn.BatchNorm2d):
            idx1 = np.squeeze(np.argwhere(np.asarray(end_mask.numpy())))
            if idx1.size == 1:
                idx1 = np.resize(idx1, (1,))
            if isinstance(old_modules[layer_id + 1], ChannelSelection):
                m1.weight.data = m0.weight.data.clone()
                m1.bias.data = m0.bias.data.clone()
                m1.running_mean = m0.running_mean.clone()
                m1.running_var = m0.running_var.clone()
                m2 = new_modules[layer_id + 1]
                m2.indexes.data.zero_()
                m2.indexes.data[idx1.tolist()] = 1.0
                layer_id_in_cfg += 1
                start_mask = end_mask.clone()
                if layer_id_in_cfg < len(cfg_mask):
                    end_mask = cfg_mask[layer_id_in_cfg]
        elif isinstance(m0, nn.Conv2d):
            if first_conv:
                m1.weight.data = m0.weight.data.clone()
                first_conv = False
                continue
            if isinstance(old_modules[layer_id - 1], ChannelSelection):
                idx0 = np.squeeze(np.argwhere(np.asarray(start_mask.numpy())))
                if idx0.size == 1:
                    idx0 = np.resize(idx0, (1,))
                m1.weight.data = m0.weight.data[:, idx0.tolist(), :, :].clone()
        elif isinstance(m0, nn.Linear):
            idx0 = np.squeeze(np.argwhere(np.asarray(start_mask.numpy())))
            if idx0.size == 1:
                idx0 = np.resize(idx0, (1,))
            m1.weight.data = m0.weight.data[:, idx0].clone()
            m1.bias.data = m0.bias.data.clone()
    return cfg, model, newmodel


def flat(t):
    return t.detach().reshape(-1).tolist()


def eval_logits(model, x):
    model.eval()
    with torch.no_grad():
        return flat(model(x))


def sgd_steps(model, x, labels, opts):
    """main.py's train step: cross-entropy, backward, updateBN (s * sign(weight) added to
    every BN weight's gradient), SGD with momentum and weight decay."""
    model.train()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=opts["lr"], momentum=opts["momentum"],
        weight_decay=opts["weight_decay"],
    )
    names = {p: k for k, p in model.named_parameters()}
    steps = []
    for _ in range(opts["steps"]):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.grad.data.add_(opts["s"] * torch.sign(m.weight.data))
        optimizer.step()
        state = {k: flat(v) for k, v in model.state_dict().items() if k in dict(model.named_parameters())}
        buffers = {names[p]: flat(s["momentum_buffer"]) for p, s in optimizer.state.items()}
        steps.append({"loss": loss.item(), "params": state, "buffers": buffers})
    return steps


def bench_model(request, classes):
    """The model bench/torch_bench.py times: a request's depth, growth rate and cfg."""
    return densenet(request["depth"], request["growthRate"], classes, cfg=request["cfg"])


def load_model(path):
    """The reference model of the checkpoint's depth, growth rate and cfg, loaded strictly."""
    state, metadata = load_file(path)
    depth, growth = int(metadata["depth"]), int(metadata["growthRate"])
    cfg = json.loads(metadata["cfg"])
    num_classes = state["fc.bias"].shape[0]
    model = densenet(depth, growth, num_classes, cfg=cfg)
    model.load_state_dict(state, strict=True)
    return model, depth, growth, cfg, num_classes


def main():
    job = json.load(open(sys.argv[1]))
    model, depth, growth, cfg, num_classes = load_model(job["checkpoint"])
    n = job["n"]
    raw = bytearray(open(job["input"], "rb").read())
    x = torch.frombuffer(raw, dtype=torch.float32).reshape(n, 3, 32, 32)
    out = {"cfg": cfg, "eval": eval_logits(model, x)}
    trained = copy.deepcopy(model)
    trained.train()
    with torch.no_grad():
        out["train"] = flat(trained(x))
    out["running"] = {
        k: flat(v) for k, v in trained.state_dict().items() if k.endswith(("running_mean", "running_var"))
    }
    out["num_batches_tracked"] = int(trained.bn.num_batches_tracked)
    if "sgd" in job:
        labels = torch.tensor(job["labels"], dtype=torch.int64)
        out["sgd"] = sgd_steps(copy.deepcopy(model), x, labels, job["sgd"])
    out["prune"] = []
    for percent in job.get("prune", []):
        pcfg, masked, slim = prune(model, percent, depth, growth, num_classes)
        out["prune"].append({
            "percent": percent,
            "cfg": pcfg,
            "masked": eval_logits(masked, x),
            "slim": eval_logits(slim, x),
            "params": sum(p.nelement() for p in slim.parameters()),
        })
    out["more"] = []
    for path in job.get("more", []):
        other, _, _, other_cfg, _ = load_model(path)
        out["more"].append({"cfg": other_cfg, "eval": eval_logits(other, x)})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
