"""Trains models.Net on random data — a stand-in for a real CIFAR-10 loop.

ConvLens reads `model = Net(num_classes=10)` below: the hints in models.py follow this instance's
arguments, and the input shape comes from the batch the loop feeds it.
"""
import torch
from torch import nn

from models import Net

model = Net(num_classes=10)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()


def train(steps: int = 100, batch_size: int = 64):
    model.train()
    for step in range(steps):
        images = torch.randn(batch_size, 3, 32, 32)
        labels = torch.randint(0, 10, (batch_size,))
        loss = loss_fn(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 20 == 0:
            print(f"step {step}: loss {loss.item():.3f}")


if __name__ == "__main__":
    train()
