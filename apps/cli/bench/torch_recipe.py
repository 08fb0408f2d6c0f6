"""PyTorch twin of the lab's training recipe, to check that our numbers are PyTorch's.

Same data (the CIFAR-10 binary archive), augmentation (zero-padded 4-pixel random crop, horizontal
flip), normalisation (the reference's mean/std), VGG-BN (the reference's models/vgg.py: conv
N(0, sqrt(2/(9*out))) without bias, BN gamma 0.5, linear N(0, 0.01)), SGD momentum 0.9 (optionally
Nesterov), weight decay, label smoothing, the L1 term on BN gamma as lambda*sign(gamma) added to the
gradient, and the schedules of apps/cli/lr_schedule.ts: step (lr/10 at 50% and 75%), cosine, or
one-cycle (linear warm-up from lr/10, then cosine to 0), per batch, the last partial batch kept.
Random streams differ from ours (numpy's), so agreement is statistical, not bitwise.

usage: python3 torch_recipe.py --data cifar-10-binary.tar.gz --epochs 7 --schedule onecycle \
         --label-smoothing 0.1 --nesterov --wd 5e-4 [--lam 0] [--depth 19 --width 0.25]
Prints one JSON line per epoch, then a summary line.
"""
import argparse, io, json, math, sys, tarfile, time
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--data", required=True)
p.add_argument("--depth", type=int, default=19)
p.add_argument("--width", type=float, default=0.25)
p.add_argument("--epochs", type=int, default=8)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--schedule", default="onecycle")
p.add_argument("--warmup", type=float, default=0.15)
p.add_argument("--label-smoothing", type=float, default=0.0)
p.add_argument("--nesterov", action="store_true")
p.add_argument("--wd", type=float, default=1e-4)
p.add_argument("--lam", type=float, default=0.0)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--subset", type=int, default=0)
a = p.parse_args()
torch.set_num_threads(a.threads); torch.manual_seed(a.seed); rng = np.random.default_rng(a.seed)

CFG = {11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512],
       13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512],
       16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512],
       19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512]}
cfg = [v if v == 'M' else max(1, round(v * a.width)) for v in CFG[a.depth]]

def load_archive(path):
    """Both splits, reading the gzip stream once in archive order (seeking back re-inflates)."""
    members = {}
    with tarfile.open(path) as tar:
        for m in tar:
            name = m.name.rsplit("/", 1)[-1]
            if name.endswith(".bin"): members[name] = tar.extractfile(m).read()
    def split(names):
        arr = np.frombuffer(b"".join(members[n] for n in names), np.uint8).reshape(-1, 3073)
        return arr[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255, arr[:, 0].astype(np.int64)
    return split([f"data_batch_{i}.bin" for i in range(1, 6)]), split(["test_batch.bin"])
(xtr, ytr), (xte, yte) = load_archive(a.data)
if a.subset: xtr, ytr = xtr[:a.subset], ytr[:a.subset]
mean = np.array([0.4914, 0.4822, 0.4465], np.float32).reshape(1, 3, 1, 1)
std = np.array([0.2023, 0.1994, 0.2010], np.float32).reshape(1, 3, 1, 1)
xtr = (xtr - mean) / std; xte = torch.tensor((xte - mean) / std); yte = torch.tensor(yte)
pad_value = (-mean / std).reshape(3, 1, 1)  # a black pixel, normalised

layers, c = [], 3
for v in cfg:
    if v == 'M': layers.append(nn.MaxPool2d(2, 2))
    else: layers += [nn.Conv2d(c, v, 3, padding=1, bias=False), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]; c = v if v != 'M' else c
model = nn.Sequential(*layers, nn.AvgPool2d(2), nn.Flatten(), nn.Linear(c, 10))
for m in model.modules():
    if isinstance(m, nn.Conv2d): m.weight.data.normal_(0, math.sqrt(2. / (9 * m.out_channels)))
    elif isinstance(m, nn.BatchNorm2d): m.weight.data.fill_(0.5); m.bias.data.zero_()
    elif isinstance(m, nn.Linear): m.weight.data.normal_(0, 0.01); m.bias.data.zero_()
opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=a.wd, nesterov=a.nesterov)
steps_per_epoch = -(-len(xtr) // a.batch); total = steps_per_epoch * a.epochs

def lr_at(step):
    f = step / total
    if a.schedule == "step": return a.lr * (0.1 if f >= 0.5 else 1) * (0.1 if f >= 0.75 else 1)
    if a.schedule == "cosine": return a.lr * 0.5 * (1 + math.cos(math.pi * f))
    w = a.warmup
    if f < w: return a.lr * (0.1 + 0.9 * f / w)
    return a.lr * 0.5 * (1 + math.cos(math.pi * (f - w) / (1 - w)))

def evaluate():
    model.eval(); correct = 0
    with torch.no_grad():
        for i in range(0, len(xte), 500): correct += (model(xte[i:i+500]).argmax(1) == yte[i:i+500]).sum().item()
    return 100 * correct / len(xte)

step = 0; hist = []
for ep in range(a.epochs):
    model.train(); perm = rng.permutation(len(xtr)); t0 = time.time(); seen = corr = 0
    for b in range(steps_per_epoch):
        idx = perm[b * a.batch:(b + 1) * a.batch]
        xb = np.empty((len(idx), 3, 40, 40), np.float32); xb[:] = pad_value; xb[:, :, 4:36, 4:36] = xtr[idx]
        ox, oy = rng.integers(0, 9, len(idx)), rng.integers(0, 9, len(idx)); flip = rng.random(len(idx)) < 0.5
        out = np.empty((len(idx), 3, 32, 32), np.float32)
        for k in range(len(idx)):
            img = xb[k, :, oy[k]:oy[k] + 32, ox[k]:ox[k] + 32]
            out[k] = img[:, :, ::-1] if flip[k] else img
        x = torch.from_numpy(out); y = torch.from_numpy(ytr[idx])
        for g in opt.param_groups: g["lr"] = lr_at(step)
        opt.zero_grad(); logits = model(x); loss = F.cross_entropy(logits, y, label_smoothing=a.label_smoothing); loss.backward()
        if a.lam:
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d): m.weight.grad.add_(a.lam * torch.sign(m.weight.data))
        opt.step(); step += 1; seen += len(idx); corr += (logits.argmax(1) == y).sum().item()
    acc = evaluate(); dt = time.time() - t0
    g = torch.cat([m.weight.data.abs() for m in model.modules() if isinstance(m, nn.BatchNorm2d)])
    rec = dict(epoch=ep + 1, train=100 * corr / seen, test=acc, sec=round(dt, 1), ips=round(seen / dt), small=float((g < 0.01).float().mean()))
    hist.append(rec); print(json.dumps(rec), flush=True)
print(json.dumps(dict(args=vars(a), best=max(h["test"] for h in hist), final=hist[-1]["test"])))
