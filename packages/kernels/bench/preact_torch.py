"""PyTorch twin of preact_stack.ts: the same synthetic pre-activation stack (bottleneck
blocks with optional channel gather, then dense layers), forward + backward img/s on CPU.

Usage: python3 preact_torch.py [--blocks 3] [--dense 0] [--keep 1] [--batch 64] [--steps 5]
  [--repeat 3] [--threads 2]
"""
import argparse
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def kept(c, keep):
    if keep >= 1:
        return None
    k = max(1, round(c * keep))
    return torch.tensor([i for i in range(c) if (i * 7919) % c < k][:k])


class Block(nn.Module):
    def __init__(self, cin, planes, stride, keep):
        super().__init__()
        self.idx = kept(cin, keep)
        c1 = cin if self.idx is None else len(self.idx)
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(c1, planes, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, 4 * planes, 1, bias=False)
        need = cin != 4 * planes or stride != 1
        self.down = nn.Conv2d(cin, 4 * planes, 1, stride, bias=False) if need else None

    def forward(self, x):
        a = F.relu(self.bn1(x))
        if self.idx is not None:
            a = a.index_select(1, self.idx)
        t = self.conv1(a)
        t = self.conv2(F.relu(self.bn2(t)))
        t = self.conv3(F.relu(self.bn3(t)))
        return t + (self.down(x) if self.down is not None else x)


class Stack(nn.Module):
    def __init__(self, blocks, dense, keep, classes=100):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        layers, cin = [], 16
        for planes, stride in [(16, 1)] * blocks + [(32, 2)]:
            layers.append(Block(cin, planes, stride, keep))
            cin = 4 * planes
        self.blocks = nn.Sequential(*layers)
        self.dense_bn = nn.ModuleList()
        self.dense_conv = nn.ModuleList()
        for _ in range(dense):
            self.dense_bn.append(nn.BatchNorm2d(cin))
            self.dense_conv.append(nn.Conv2d(cin, 12, 3, 1, 1, bias=False))
            cin += 12
        self.final = nn.BatchNorm2d(cin)
        self.fc = nn.Linear(cin, classes, bias=False)

    def forward(self, x):
        h = self.blocks(self.stem(x))
        for bn, conv in zip(self.dense_bn, self.dense_conv):
            h = torch.cat([h, conv(F.relu(bn(h)))], 1)
        h = F.adaptive_avg_pool2d(F.relu(self.final(h)), 1).flatten(1)
        return self.fc(h)


def main():
    p = argparse.ArgumentParser()
    for name, default in [("blocks", 3), ("dense", 0), ("batch", 64), ("steps", 5),
                          ("repeat", 3), ("threads", 2)]:
        p.add_argument(f"--{name}", type=int, default=default)
    p.add_argument("--keep", type=float, default=1.0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Stack(a.blocks, a.dense, a.keep).train()
    x = torch.randn(a.batch, 3, 32, 32)
    y = torch.randint(0, 100, (a.batch,))

    def step():
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()

    step()
    rates = []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step()
        rates.append(a.batch * a.steps / (time.perf_counter() - t0))
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    spec = f"blocks {a.blocks} dense {a.dense} keep {a.keep} batch {a.batch}"
    print(f"torch {torch.__version__} {a.threads} threads, {spec}: "
          f"{', '.join(f'{r:.1f}' for r in rates)} img/s (load {load})")


if __name__ == "__main__":
    main()
