"""A small CNN for 32×32 RGB images (CIFAR-10 sized).

Open this file with ConvLens installed: every layer shows its output shape as an inlay hint, hovers
give parameters, MACs and receptive field, and the CodeLens above the class gives the totals.
"""
import torch
from torch import nn
import torch.nn.functional as F


class ConvBlock(nn.Module):
    """Two 3×3 convolutions with batch norm, then a 2×2 max-pool."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.pool(x)


class Net(nn.Module):
    def __init__(self, num_classes: int = 10, width: int = 32):
        super().__init__()
        self.block1 = ConvBlock(3, width)
        self.block2 = ConvBlock(width, width * 2)
        self.block3 = ConvBlock(width * 2, width * 4)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(width * 4 * 4 * 4, num_classes)

    def forward(self, x):  # x: (N, 3, 32, 32)
        x = self.block1(x)
        x = self.block2(x)
        x = self.block3(x)
        x = torch.flatten(x, 1)
        return self.fc(self.dropout(x))
