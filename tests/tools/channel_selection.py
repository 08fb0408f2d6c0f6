"""The reference's channel selection layer (models/channel_selection.py), shared by the
PyTorch twins of its pre-activation ResNet and DenseNet."""

import numpy as np
import torch
import torch.nn as nn


class ChannelSelection(nn.Module):
    """Keeps the channels whose `indexes` entry is 1 (a parameter, as in the reference)."""

    def __init__(self, num_channels):
        super().__init__()
        self.indexes = nn.Parameter(torch.ones(num_channels))

    def forward(self, x):
        idx = np.squeeze(np.argwhere(self.indexes.data.cpu().numpy()))
        if idx.size == 1:
            idx = np.resize(idx, (1,))
        return x[:, idx, :, :]
