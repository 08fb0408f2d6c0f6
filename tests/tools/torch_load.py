"""Loads a checkpoint written by this project into the reference model (models/vgg.py of
Eric-mingjie/network-slimming, re-implemented here: conv3x3 without bias, BN, ReLU, max-pools,
AvgPool2d(2), Linear) with load_state_dict(strict=True), and prints its eval-mode logits on the
inputs given as raw float32 NCHW bytes.

usage: torch_load.py CHECKPOINT INPUT.f32 N
The safetensors format is parsed by hand (the `safetensors` package is not installed here):
8-byte little-endian header length, JSON header, raw little-endian tensor bytes.
"""
import json
import struct
import sys

import torch
import torch.nn as nn

DTYPES = {"F32": torch.float32, "I64": torch.int64, "F64": torch.float64, "I32": torch.int32}


def load_file(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    metadata = header.pop("__metadata__", {})
    body = data[8 + n :]
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(body[begin:end]), dtype=DTYPES[info["dtype"]])
        tensors[name] = t.reshape(info["shape"]).clone()
    return tensors, metadata


class vgg(nn.Module):
    def __init__(self, cfg, num_classes=10):
        super().__init__()
        self.feature = self.make_layers(cfg)
        self.classifier = nn.Linear(cfg[-1], num_classes)

    def make_layers(self, cfg):
        layers, in_channels = [], 3
        for v in cfg:
            if v == "M":
                layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
            else:
                conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1, bias=False)
                layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                in_channels = v
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.feature(x)
        x = nn.AvgPool2d(2)(x)
        x = x.view(x.size(0), -1)
        return self.classifier(x)


def main():
    path, inputs, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    state, metadata = load_file(path)
    cfg = json.loads(metadata["cfg"])
    model = vgg(cfg)
    model.load_state_dict(state, strict=True)
    model.eval()
    x = torch.frombuffer(bytearray(open(inputs, "rb").read()), dtype=torch.float32).reshape(n, 3, 32, 32)
    with torch.no_grad():
        print(json.dumps({"cfg": cfg, "logits": model(x).reshape(-1).tolist()}))


if __name__ == "__main__":
    main()
