"""PyTorch side of `deno task bench`: the same VGG-BN, timed on request.

Reads one JSON request per line on stdin, answers one JSON line on stdout:
  {"mode": "train"|"infer", "cfg": [...], "batch": 64, "steps": 10, "threads": 2, "classes": 10,
   "arch": "resnet", "twin": "preresnet_ref", "depth": 164, "planes": [16, 32, 64], "growthRate": 12}
  -> {"imagesPerSecond": 1234.5, "torch": "1.13.1"}
  {"mode": "peak"} -> {"peakBytes": 123456789, "torch": "1.13.1"}: this process's peak resident
  memory so far (`bench --memory` starts one process per model for it).
The VGG is the reference's models/vgg.py (conv3x3 without bias, BN, ReLU, max-pools, 2x2 average
pool, linear head); any other architecture is the PyTorch twin its descriptor names (`twin`: a
module of tests/tools/ with a bench_model(request, classes) function, e.g. preresnet_ref for the
pre-activation ResNet), the one the agreement tests check ours against. Training is SGD with
momentum 0.9 and weight decay 1e-4.
"""
import importlib
import json
import os
import resource
import sys
import time

import torch
import torch.nn as nn


def make_vgg(cfg, num_classes=10):
    layers, channels = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(channels, v, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            channels = v
    return nn.Sequential(*layers, nn.AvgPool2d(2), nn.Flatten(), nn.Linear(channels, num_classes))


def make_model(request, classes):
    """Bench's own VGG, or the PyTorch twin the request names: the module `twin` of tests/tools/
    (its architecture descriptor's torchTwin), whose bench_model(request, classes) builds it."""
    twin = request.get("twin")
    if twin is None:
        return make_vgg(request["cfg"], classes)
    tools = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "tools")
    sys.path.insert(0, os.path.normpath(tools))
    return importlib.import_module(twin).bench_model(request, classes)


models = {}


def measure(request):
    torch.set_num_threads(request.get("threads", 2))
    classes = request.get("classes", 10)
    key = (json.dumps(request["cfg"]), request.get("arch"), request.get("depth"), request["mode"], classes)
    if key not in models:
        model = make_model(request, classes)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        models[key] = (model, optimizer)
    model, optimizer = models[key]
    batch, steps = request["batch"], request["steps"]
    x = torch.randn(batch, 3, 32, 32)
    y = torch.randint(0, classes, (batch,))
    if request["mode"] == "train":
        model.train()

        def step():
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
    else:
        model.eval()

        def step():
            with torch.no_grad():
                model(x)
    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return batch * steps / (time.perf_counter() - start)


for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    request = json.loads(line)
    if request.get("mode") == "peak":
        # ru_maxrss is in KiB on Linux.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({"peakBytes": peak, "torch": torch.__version__}), flush=True)
        continue
    rate = measure(request)
    print(json.dumps({"imagesPerSecond": rate, "torch": torch.__version__}), flush=True)
