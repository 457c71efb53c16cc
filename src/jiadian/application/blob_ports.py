"""Ports about stored files: where the shop's rows refer to blob-store file ids."""

from __future__ import annotations

from typing import Protocol


class FileReferences(Protocol):
    """Every place a row names a blob-store file: category, sku and product-card images, banners,
    avatars and the image snapshots of order lines."""

    async def file_ids(self) -> list[str]:
        """Every distinct file id referred to, sorted; empty references are not file ids."""
        ...

    async def count(self, file_id: str) -> int:
        """How many references to this file there are, in all places together."""
        ...

    async def rewrite(self, old: str, new: str) -> int:
        """Make every reference to `old` refer to `new`, in one transaction; how many changed."""
        ...
