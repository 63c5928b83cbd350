"""Pillow refusing a truncated image, whatever another library set.

WeasyPrint, once imported (for any PDF), makes Pillow accept truncated images
process-wide; an uploaded photo or logo must still be refused when damaged rather than
kept half grey. Loading under `strict_loading()` restores Pillow's strict default for
the load only (a lock, since the flag is global).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import ImageFile

_LOADING = threading.Lock()


@contextmanager
def strict_loading() -> Iterator[None]:
    with _LOADING:
        before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before
