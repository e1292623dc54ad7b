"""A scanned page rotated level and averaged over 3x3 pixels in one go, at a quarter of the CPU of Pillow's
bicubic rotation followed by its 3x3 mean (66 against 278 ms for a 300 dpi letter page, 2026-12-06, load 8).

A tilt of at most a few degrees is two shears: every column moved up or down by its own fraction of a pixel,
then every row sideways by its own. Each shear resamples with the cubic kernel Pillow's bicubic uses (a = -1:
four taps, the fraction one number per column or row, in sixteenths of a pixel) after the 3-pixel mean along the
same axis. Both passes are whole-array integer arithmetic in numpy. Two shears are a rotation stretched by
sin² / 2 along one axis and narrowed by as much along the other (0.1 % at 2.5°, under two pixels at the page's
edges), which no reading notices. Read against Pillow's rotation and mean on bench.extraction's scans: 29 and 28
fields missed against 23 and 33 (seeds 1 and 2), the generalization benchmark's tuned scans F1 0.956 against
0.935. Pillow's nearest-neighbour rotation and the mean, about as cheap (56 ms), missed 33 against 23 (seed 1).
"""

from __future__ import annotations

import functools
import math
import threading
from typing import TYPE_CHECKING

from PIL import Image

from o2c.core.lazy import LazyModule

if TYPE_CHECKING:
    import numpy as np
else:
    np = LazyModule("numpy")  # imported at the first scan, not with extraction (core/lazy.py)

_STEPS = 16  # the shear's fraction of a pixel, in sixteenths; also the weights' unit


def _keys(t: np.ndarray) -> np.ndarray:
    t = np.abs(t)
    near = t**3 - 2 * t**2 + 1
    far = -(t**3) + 5 * t**2 - 8 * t + 4
    return np.where(t <= 1, near, np.where(t < 2, far, 0.0))


def _weights() -> np.ndarray:
    """(fraction in sixteenths, tap) -> integer weight of the pixels 1 before to 2 after the one read from (the
    bicubic kernel); each row sums to _STEPS."""
    fraction = np.arange(_STEPS)[:, None] / _STEPS
    table = np.rint(_keys(fraction - np.arange(-1, 3)[None, :]) * _STEPS).astype(np.int64)
    table[:, 1] += _STEPS - table.sum(axis=1)  # the rounding's remainder onto the pixel read from
    return table


@functools.cache
def _tables() -> tuple[np.ndarray, int, np.ndarray]:
    """The kernel's weights, the most its negative lobes take away (in weights), and 3 x 3 x grey -> grey;
    built at the first scan."""
    weights = _weights()
    below = -int(np.minimum(weights, 0).sum(axis=1).min())
    above = int(np.maximum(weights, 0).sum(axis=1).max())  # the most the positive lobes add
    assert 3 * 3 * 255 * (above + below) < 1 << 16  # uint16 holds a pass's sums, overshoot included
    ninths = np.rint(np.arange(9 * 255 + 1) / 9).astype(np.uint8)
    return weights, below, ninths


# The passes' four work arrays (17 MB each for a letter page at 300 dpi; the largest page seen sets their size)
# are kept between pages: fresh memory for each costs more in page faults than the arithmetic done on it. One set,
# for one page at a time.
_WORK: dict[str, np.ndarray] = {}
_WORK_LOCK = threading.Lock()


def _work(name: str, shape: tuple[int, ...]) -> np.ndarray:
    size = math.prod(shape)
    flat = _WORK.get(name)
    if flat is None or flat.size < size:
        flat = _WORK[name] = np.empty(size, dtype=np.uint16)
    return flat[:size].reshape(shape)


def rotated_smoothed(image: Image.Image, degrees: float) -> Image.Image:
    """The grey page turned counter-clockwise by degrees (as Pillow's rotate, corners filled white, same size)
    and averaged over 3x3 pixels; |degrees| up to a few."""
    pixels = np.asarray(image.convert("L") if image.mode != "L" else image)
    height, width = pixels.shape
    sine = math.sin(math.radians(degrees))
    with _WORK_LOCK:
        # output (x, y) reads the page at x_in = x - sine * (y - cy), y_in = y + sine * (x_in - cx)
        columns = _shear(pixels, sine * (np.arange(width) - (width - 1) / 2), axis=0, top=255)
        np.right_shift(columns, 4, out=columns)  # 3 x grey, 0-765
        rows = _shear(columns, -sine * (np.arange(height) - (height - 1) / 2), axis=1, top=3 * 255)
        np.right_shift(rows, 4, out=rows)  # 3 x 3 x grey
        return Image.fromarray(_tables()[2][rows])


def _shear(pixels: np.ndarray, shifts: np.ndarray, *, axis: int, top: int) -> np.ndarray:
    """Each column (axis=0) or row (axis=1) of pixels (0 to top; beyond the page, top) read `shifts` pixels
    further along that axis, bicubic and summed over 3 neighbours: 3 * _STEPS x the value, clipped to the range
    (the kernel overshoots at edges), uint16."""
    whole = np.floor(shifts).astype(np.int64)
    part = np.rint((shifts - whole) * _STEPS).astype(np.int64)
    whole += part // _STEPS  # a fraction rounded up to a whole pixel
    part %= _STEPS
    pad = int(np.abs(whole).max()) + 3
    length = pixels.shape[axis]
    size = list(pixels.shape)
    size[axis] += 2 * pad
    padded = _work("padded", tuple(size))
    padded.fill(top)
    # each band of columns (rows) that share a whole shift moves in one copy: the taps below are plain slices
    cuts = np.flatnonzero(np.diff(whole)) + 1
    for start, end in zip(np.concatenate(([0], cuts)), np.concatenate((cuts, [len(whole)])), strict=True):
        along = slice(pad - int(whole[start]), pad - int(whole[start]) + length)
        if axis == 0:
            padded[along, start:end] = pixels[:, start:end]
        else:
            padded[start:end, along] = pixels[start:end]

    # the 3-pixel mean first, over the padded length; then the kernel's four taps, each a slice of the sums
    size[axis] -= 2
    sums = _work("sums", tuple(size))
    np.add(padded[:-2], padded[1:-1], out=sums) if axis == 0 else np.add(padded[:, :-2], padded[:, 1:-1], out=sums)
    np.add(sums, padded[2:] if axis == 0 else padded[:, 2:], out=sums)

    def tap(k: int) -> np.ndarray:  # for every output pixel, the mean around the pixel k - 1 places along
        along = slice(pad - 2 + k, pad - 2 + k + length)
        return sums[along] if axis == 0 else sums[:, along]

    # negative weights wrap around in uint16; the sum, offset by the most the overshoot can take away, is exact
    table, below, _ninths = _tables()
    weights = (table[part] % (1 << 16)).astype(np.uint16).T.copy()  # one row of weights per tap
    low, high = 3 * top * below, 3 * top * (below + _STEPS)
    out = _work("out", pixels.shape)  # the input's own array when it is the first pass's result: read by now
    out.fill(low)
    term = _work("term", pixels.shape)
    for k in range(4):
        np.multiply(tap(k), weights[k, None, :] if axis == 0 else weights[k, :, None], out=term)
        np.add(out, term, out=out)
    np.clip(out, low, high, out=out)
    np.subtract(out, low, out=out)
    return out
