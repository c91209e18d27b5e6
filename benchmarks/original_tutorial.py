"""The original tutorial's code paths, rewritten for timing only (``../shared/reference/original-tutorial.md``).

Behaviour kept on purpose, bugs included: each item is opened with PIL and converted at every access, tensors
are NCHW, training reports the last batch's loss, embeddings grow by ``torch.cat`` onto a random placeholder
row, and search fits a new ``NearestNeighbors`` for every query. Do not use this for anything but comparison.
"""

from __future__ import annotations

import os

import numpy as np
import torch
import torchvision.transforms as T
from PIL import Image
from sklearn.neighbors import NearestNeighbors
from torch import nn
from torch.utils.data import Dataset


class OriginalFolderDataset(Dataset):
    """``os.listdir`` of one folder; every access opens the file and converts it to RGB (alpha dropped)."""

    def __init__(self, main_dir: str, transform=None) -> None:
        self.main_dir, self.transform = main_dir, transform
        self.all_imgs = os.listdir(main_dir)

    def __len__(self) -> int:
        return len(self.all_imgs)

    def __getitem__(self, idx: int):
        image = Image.open(os.path.join(self.main_dir, self.all_imgs[idx])).convert("RGB")
        tensor_image = self.transform(image)
        return tensor_image, tensor_image


def original_encoder() -> nn.Module:
    """5 x (conv 3x3, in-place ReLU, max-pool 2), 3 -> 16 -> 32 -> 64 -> 128 -> 256 channels."""
    layers: list[nn.Module] = []
    for cin, cout in zip((3, 16, 32, 64, 128), (16, 32, 64, 128, 256), strict=True):
        layers += [nn.Conv2d(cin, cout, (3, 3), padding=(1, 1)), nn.ReLU(inplace=True), nn.MaxPool2d((2, 2))]
    return nn.Sequential(*layers)


def original_decoder() -> nn.Module:
    """5 x (transposed conv k2 s2, in-place ReLU), the last ReLU included as in the original."""
    layers: list[nn.Module] = []
    for cin, cout in zip((256, 128, 64, 32, 16), (128, 64, 32, 16, 3), strict=True):
        layers += [nn.ConvTranspose2d(cin, cout, (2, 2), stride=(2, 2)), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def train_step(encoder, decoder, train_loader, loss_fn, optimizer, device) -> float:
    encoder.train()
    decoder.train()
    for train_img, target_img in train_loader:
        train_img, target_img = train_img.to(device), target_img.to(device)
        optimizer.zero_grad()
        loss = loss_fn(decoder(encoder(train_img)), target_img)
        loss.backward()
        optimizer.step()
    return loss.item()  # the last batch's loss: the original's bug, kept for a like-for-like loop


def val_step(encoder, decoder, val_loader, loss_fn, device) -> float:
    encoder.eval()
    decoder.eval()
    with torch.no_grad():
        for train_img, target_img in val_loader:
            train_img, target_img = train_img.to(device), target_img.to(device)
            loss = loss_fn(decoder(encoder(train_img)), target_img)
    return loss.item()


def create_embedding(encoder, full_loader, embedding_dim, device) -> torch.Tensor:
    """Grows the result by ``torch.cat`` after a random placeholder row (row i holds image i - 1)."""
    encoder.eval()
    embedding = torch.randn(embedding_dim)
    with torch.no_grad():
        for train_img, _ in full_loader:
            enc_output = encoder(train_img.to(device)).cpu()
            embedding = torch.cat((embedding, enc_output), 0)
    return embedding


def compute_similar_images(image, num_images: int, embedding: np.ndarray, encoder, device) -> list:
    """Embeds one PIL image, then fits a new NearestNeighbors over every embedding, for every query."""
    image_tensor = T.ToTensor()(image).unsqueeze(0)
    with torch.no_grad():
        image_embedding = encoder(image_tensor.to(device)).cpu().detach().numpy()
    flattened = image_embedding.reshape((image_embedding.shape[0], -1))
    knn = NearestNeighbors(n_neighbors=num_images, metric="cosine")
    knn.fit(embedding)
    _, indices = knn.kneighbors(flattened)
    return indices.tolist()
