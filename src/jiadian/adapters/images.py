"""Recognising images by their content (Pillow), never by their names."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from jiadian.domain.errors import ValidationFailed

FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
MAX_PIXELS = 40_000_000


def sniff_image(data: bytes) -> str:
    """The file extension for a real PNG/JPEG/GIF/WebP image; `ValidationFailed` for anything else."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationFailed("文件不是有效的图片", field="image") from exc
    if kind not in FORMATS:
        raise ValidationFailed("只支持 PNG、JPEG、GIF 或 WebP 图片", field="image", format=kind)
    if width * height > MAX_PIXELS:
        raise ValidationFailed("图片尺寸过大", field="image")
    return FORMATS[kind]
