"""The inside of an opened mouth (beyond the paper): the photo's own upper teeth where it shows them, otherwise teeth,
tongue and cavity drawn in the face's own light, as a real open mouth shows them: the upper teeth's edge under the
upper lip, a dark warm cavity, the lower teeth hidden behind the lower lip.

`MouthLook.read` looks once at the photo around its mouth (dlib's 48-67): the lips' colour (median between the
outer and inner contours), the skin's (a ring around the mouth), and, between the inner lips, the photo's own
teeth (bright, unsaturated pixels): how far down from the upper lip they reach in each column, and their colour.
Everything drawn takes its colours from these, so a warm, dim photo gets warm, dim teeth.

`fill_inside` then paints a frame's opening, column by column (from the upper inner lip `new_upper` down to the
lower one `new_lower`), front to back:

- upper teeth, hanging from the upper lip: the photo's own pixels (kept at their size against the upper lip,
  covered by the lower lip when the opening is smaller) where the photo shows teeth, else drawn ones of a fixed
  height `TOOTH` (as long as the photo's own where they run short, a corner in shadow); drawn teeth are a dental
  arch seen from the front (wide incisors in the middle, narrower towards the corners, faint lines between them),
  shaded at their roots by the upper lip and receding into the dark of the corners, so no denture strip runs
  from corner to corner;
- lower teeth stay behind the lower lip until the jaw is far down (an opening of `LOW_FROM`), then their edges
  rise over it in the middle;
- the tongue (lipglance.inference.render.tongue): its body low in the opening on open vowels, in the dark of the
  mouth, redder than the lips; with a cue from known phones its tip between the teeth (th) or raised behind the
  upper teeth (l);
- the cavity: the lips' colour, warmer and very dark (`CAVE`), a short lighter falloff by the lips.

The lips keep their own colour at their inner edges (the shape renderer starts parted lips past the photo's dark
seam). Every quantity is a smooth function of the photo and of the frame's lip curves (no random draws, and the
teeth are fixed to the photo's source columns): a constant shape gives the same pixels in every frame. The work is
done only inside the opening's bounding box.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lipglance.inference.render.lips import LUMA, MIN_GAP, box_side, lum_sat, mouth_gap
from lipglance.inference.render.tongue import Tongue, draw_tip, draw_tongue

TEETH = np.array([236.0, 228.0, 212.0])  # RGB of teeth in a neutral light of skin brightness SKIN_LUM
SKIN_LUM = 175.0  # skin luminance at which drawn teeth have the colour TEETH
TOOTH = 0.07  # of the mouth box side: height of the upper teeth drawn below the upper lip (4.5 mm on a 50-mm mouth)
LOW_TOOTH = 0.03  # of the mouth box side: most lower teeth shown
LOW_FROM = 0.25  # of the mouth box side (0.33 mouth widths): opening before the lower teeth rise over the lower lip
CAVE, CAVE_SAT = 0.15, 1.3  # the cavity's depth: the lips' colour this dark, this much more saturated
KEEP = 0.4  # of a donated inside (from the upper lip down) that keeps its size when the opening differs from its own
ARCH_UP = np.array([0.0, 0.30, 0.52, 0.74, 0.94, 1.12, 1.30, 1.48])  # arch angles (rad) of upper tooth borders
ARCH_LOW = np.array([0.0, 0.20, 0.40, 0.60, 0.82, 1.02, 1.22, 1.48])  # of lower tooth borders
REACH = 0.35  # of the gap between dlib's inner lips: how far below the lower one a photo's own teeth may reach
TIP = (1.0, 0.88, 0.96, 0.86, 0.8, 0.74, 0.7)  # tooth lengths, central incisor first (upper teeth)


@dataclass(frozen=True)
class Donor:
    """The inside of another image's open mouth (a dubbed video's own frame: lipglance.inference.video.mouths): a
    patch [h, w, 3] uint8 running across from inner corner to inner corner and down from the upper inner lip to the
    lower one, stretched onto the opening it fills. `stretch`: the opening it fills over its own (both in mouth
    widths); its upper `KEEP` (the upper teeth against the lip) keeps its own size and the rest takes the
    difference, as a jaw opening further shows more of the mouth below the teeth, not longer teeth."""

    patch: np.ndarray
    stretch: float = 1.0


@dataclass(frozen=True)
class MouthLook:
    """What a photo's mouth inside is drawn with (see the module doc)."""

    lip: np.ndarray  # [3] RGB median of the lips
    teeth: np.ndarray  # [3] RGB of teeth: the photo's own where it shows them, else TEETH in the skin's light
    own: np.ndarray  # [W] per source column: px of the photo's own upper teeth below its upper inner lip (0: none)
    inner: tuple[float, float]  # source x of the inner mouth corners (the dental arch spans them)
    donor: Donor | None = None  # an inside to fill the opening with instead of drawing one

    @classmethod
    def given(cls, donor: Donor, width: int) -> MouthLook:
        """A look that fills the opening with `donor` (nothing is read or drawn), for an image `width` px wide."""
        grey = np.full(3, 128.0)
        return cls(grey, grey, np.zeros(width), (0.0, float(width)), donor)

    @classmethod
    def read(cls, image: np.ndarray, points: np.ndarray) -> MouthLook:
        """Read from `image` [H, W, 3] uint8 around its mouth `points` [20, 2] (image pixels)."""
        pts = np.asarray(points, np.float64)
        width = float(np.ptp(pts[:, 0]))
        x0, y0 = (max(int(v - 0.3 * width), 0) for v in pts.min(0))
        x1, y1 = (int(v + 0.3 * width) + 2 for v in pts.max(0))
        rgb = image[y0:y1, x0:x1].astype(np.float32)
        local = pts - [x0, y0]
        h, w = rgb.shape[:2]
        outer = np.zeros((h, w), np.uint8)
        cv2.fillPoly(outer, [np.round(local[:12]).astype(np.int32)], 1)
        inner = np.zeros((h, w), np.uint8)
        cv2.fillPoly(inner, [np.round(local[12:20]).astype(np.int32)], 1)
        lips = (outer > 0) & (inner == 0)
        grow = 2 * max(2, int(0.15 * width)) + 1
        ring = cv2.dilate(outer, np.ones((grow, grow), np.uint8)) > 0
        skin = ring & (cv2.dilate(outer, np.ones((5, 5), np.uint8)) == 0)
        lip = np.median(rgb[lips], axis=0) if lips.sum() > 10 else np.array([160.0, 90.0, 90.0])
        skin_rgb = np.median(rgb[skin], axis=0) if skin.sum() > 10 else lip
        own_local, found = _own_teeth(rgb, local, lip)
        own = np.zeros(image.shape[1])
        own[x0:x0 + w] = own_local
        if found is not None:
            teeth = found
        else:
            skin_lum = float(skin_rgb @ LUMA)
            tint = (skin_rgb / max(float(skin_rgb.mean()), 1.0)) ** 0.3
            teeth = TEETH * tint * np.clip(skin_lum / SKIN_LUM, 0.45, 1.1)
        corners = pts[12:20, 0]
        return cls(lip, np.clip(teeth, 0, 255), own, (float(corners.min()), float(corners.max())))


def _own_teeth(rgb: np.ndarray, pts: np.ndarray, lip: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(per column of `rgb` [H, W, 3]: px of teeth below the upper inner lip of `pts`, their median RGB or None).
    Teeth are bright unsaturated pixels in a run from the upper inner lip down, which may pass dlib's lower inner
    lip (it often sits on the teeth) by up to `REACH` of the gap."""
    inner = np.asarray(pts, np.float64)[12:20, 1]
    y0 = max(int(inner.min()) - 2, 0)  # only the rows the inner lips (and teeth below them) can span
    rgb = rgb[y0:int(inner.max() + (1 + REACH) * np.ptp(inner)) + 3]
    pts = np.asarray(pts, np.float64) - [0, y0]
    h, w = rgb.shape[:2]
    lum, sat = lum_sat(rgb)
    lip_sat = float((lip.max() - lip.min()) / max(float(lip.max()), 1.0))
    lip_lum = float(lip @ LUMA)
    bright = ((lum > max(0.75 * lip_lum, 70.0)) & (sat < min(0.7 * lip_sat, 0.33))).astype(np.uint8)
    white = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((3, 1), np.uint8)) > 0  # one-pixel holes
    xs = np.arange(w, dtype=np.float64)
    upper, lower, gap = mouth_gap(pts, xs)
    unit = box_side(pts) / 64
    own = np.zeros(w)
    cols = np.flatnonzero(gap > 2 * MIN_GAP * unit)
    rows = np.arange(h)[:, None]
    top = np.maximum(np.floor(upper[cols]), 0)
    run = white[:, cols] & (rows >= top) & (rows <= np.ceil(lower[cols] + REACH * gap[cols]))
    near = run & (rows < top + np.maximum((0.4 * gap[cols]).astype(int), 2))  # it starts by the upper lip
    first = np.argmax(near, axis=0)
    gone = (rows >= first) & ~run
    end = np.where(gone.any(0), np.argmax(gone, axis=0), h)
    ok = near.any(0) & (end - first >= 0.3 * gap[cols])
    own[cols[ok]] = end[ok] - upper[cols[ok]]
    teeth = (rows >= first) & (rows < end) & ok
    own = np.clip(_median5(own), 0, None)
    if (own > 0).sum() < 3:
        return np.zeros(w), None
    own = np.minimum(own, 1.25 * np.median(own[own > 0]))  # teeth rows are even: not into a lip's highlight
    seen = np.flatnonzero(own > 0)  # the strip runs on to the corners, where the photo shades its teeth
    own = np.where(gap > 0, np.interp(xs, seen, own[seen]), 0.0)
    return own, np.median(rgb[:, cols][teeth], axis=0)


def _median5(v: np.ndarray) -> np.ndarray:
    """Running median of 5 (edges padded), so a stray bright or dark pixel column does not count."""
    p = np.pad(v, 2, mode="edge")
    return np.median(np.stack([p[k:k + len(v)] for k in range(5)]), axis=0)


def _arch(cols: np.ndarray, inner: tuple[float, float], borders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per source column: (px to the nearest tooth border, index of the tooth: 0 the central incisor)."""
    centre, half = (inner[0] + inner[1]) / 2, max((inner[1] - inner[0]) / 2, 1.0)
    u = np.clip((cols - centre) / half, -0.995, 0.995)
    theta = np.abs(np.arcsin(u))
    k = np.interp(theta, borders, np.arange(len(borders), dtype=np.float64))
    nearest = borders[np.clip(np.round(k).astype(int), 0, len(borders) - 1)]
    return np.abs(theta - nearest) * half * np.cos(theta), np.minimum(np.floor(k), len(TIP) - 1).astype(int)


def fill_inside(out: np.ndarray, image: np.ndarray, hole: np.ndarray, pts: np.ndarray, new_upper: np.ndarray,
                new_lower: np.ndarray, cols: np.ndarray | None = None, look: MouthLook | None = None,
                tongue: Tongue | None = None, teeth_share: float = 1.0) -> np.ndarray:
    """`out` [H, W, 3] with its opening (where `hole` [H, W] > 0, between `new_upper` and `new_lower` per column)
    painted as the inside of the mouth of `image` (lips at `pts`), column x of `out` showing source column
    `cols[x]` (default: x); `look` is `MouthLook.read(image, pts)`, read here when not given; `tongue`: the
    frame's tongue cue (lipglance.inference.render.tongue); `teeth_share`: the share of the upper teeth's length that
    shows below the upper lip (rounded, protruded lips cover the rest: lipglance.inference.render.rounding)."""
    look = look if look is not None else MouthLook.read(image, pts)
    h, w = out.shape[:2]
    xs = np.flatnonzero(hole.max(0) > 0)
    if not len(xs):
        return out
    x0, x1 = int(xs[0]), int(xs[-1]) + 1
    y0 = max(int(np.floor(new_upper[x0:x1].min())) - 1, 0)
    y1 = min(int(np.ceil(new_lower[x0:x1].max())) + 2, h)
    src_cols = (np.arange(w, dtype=np.float64) if cols is None else np.asarray(cols, np.float64))[x0:x1]
    unit = box_side(pts) / 64
    top, bottom = new_upper[x0:x1], new_lower[x0:x1]
    ys = np.arange(y0, y1, dtype=np.float64)[:, None]
    from_top, from_bottom = ys - top, bottom - ys
    size = np.maximum(bottom - top, 0.0)
    full = np.interp(src_cols, np.arange(len(look.own)), look.own)
    own = teeth_share * full
    if look.donor is not None:
        inside = _donated(look.donor, from_top, size)
    else:
        inside = draw_inside(look, src_cols, size, full, from_top, from_bottom, unit, tongue, teeth_share)
    if own.max() > 0 and look.donor is None:  # the photo's own teeth, against the upper lip at their size
        upper = mouth_gap(pts, src_cols)[0]
        src_y = (upper + from_top + (full - own)).astype(np.float32)  # a covering lip leaves their edges
        grid_x = np.broadcast_to(src_cols.astype(np.float32), src_y.shape)
        teeth = cv2.remap(image, np.ascontiguousarray(grid_x), src_y, cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        seen = np.clip(own - from_top + 0.5, 0, 1) * (own > 0)
        inside = inside + seen[..., None] * (teeth - inside)
    alpha = hole[y0:y1, x0:x1, None]
    region = out[y0:y1, x0:x1].astype(np.float32)
    result = out.copy()
    result[y0:y1, x0:x1] = np.clip(region + alpha * (inside - region), 0, 255).round().astype(np.uint8)
    return result


def _donated(donor: Donor, from_top: np.ndarray, size: np.ndarray) -> np.ndarray:
    """RGB [H, W, 3] float of `donor`'s patch stretched across the opening's columns and down each one."""
    ph, pw = donor.patch.shape[:2]
    open_cols = np.flatnonzero(size > 0)
    lo, hi = (open_cols[0], open_cols[-1]) if len(open_cols) else (0, len(size) - 1)
    u = np.clip((np.arange(len(size)) - lo) / max(hi - lo, 1), 0, 1)
    t = np.clip(from_top / np.maximum(size, 1e-3), 0, 1)  # down the target's opening
    keep = min(KEEP / max(donor.stretch, 1e-3), 0.8)  # where the patch's upper KEEP ends in it, at its own size
    v = np.where(t < keep, KEEP * t / keep, KEEP + (1 - KEEP) * (t - keep) / (1 - keep))  # down the patch
    map_y = (v * (ph - 1)).astype(np.float32)
    map_x = np.ascontiguousarray(np.broadcast_to((u * (pw - 1)).astype(np.float32), map_y.shape))
    return cv2.remap(donor.patch, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)


def draw_inside(look: MouthLook, cols: np.ndarray, size: np.ndarray, own: np.ndarray, from_top: np.ndarray,
                from_bottom: np.ndarray, unit: float, tongue: Tongue | None = None,
                teeth_share: float = 1.0) -> np.ndarray:
    """RGB [H, W, 3] float of a mouth's drawn inside at source columns `cols` [W], openings `size` [W], the photo's
    own upper teeth `own` [W] px, each pixel's distance below the upper lip and above the lower one [H, W];
    `tongue`: the frame's tongue cue (lipglance.inference.render.tongue; None: the body on open vowels only);
    `teeth_share`: the share of the upper teeth's length that shows (fill_inside)."""
    centre, half = (look.inner[0] + look.inner[1]) / 2, max((look.inner[1] - look.inner[0]) / 2, 1.0)
    across = np.clip(1 - ((cols - centre) / half) ** 2, 0, 1)  # 1 mid-mouth, 0 at the corners
    cue = tongue or Tongue()
    # The cavity: the lips' colour, warmer, in the dark; a short falloff lighter by the lips, darkest in the
    # depth and the corners.
    luma = float(look.lip @ LUMA)
    cave = np.clip(luma + CAVE_SAT * (look.lip - luma), 0, None)
    near = np.minimum(np.clip(from_top, 0, None), np.clip(from_bottom, 0, None)) / (1.5 * unit)
    inside = cave * (CAVE + 0.16 * np.exp(-near) + 0.06 * across)[..., None]
    # Upper teeth: drawn ones where the photo shows none, else the photo's (fill_inside lays them on top).
    gap_u, tooth = _arch(cols, look.inner, ARCH_UP)
    side = np.clip((across - 0.05) / 0.35, 0, 1)  # the teeth recede into the corners' shadow
    # As long as the photo's own teeth where it shows some (drawn on where they are short: a corner in shadow).
    tooth_h = teeth_share * max(TOOTH * 64 * unit, 0.8 * float(np.median(own[own > 0])) if (own > 0).any() else 0.0)
    length = np.array(TIP)[tooth] * tooth_h * np.clip((size - 1.5 * unit) / (3 * unit), 0, 1) * (0.6 + 0.4 * side)
    top_h = np.maximum(teeth_share * own, length)
    inside = draw_tongue(inside, look.lip, across, size, from_top, from_bottom, top_h, unit, cue.raised)
    # Lower teeth: behind the lower lip until the jaw is far down, then their edges rise over it in the middle.
    low_h = np.clip((size - LOW_FROM * 64 * unit) / (3 * unit), 0, 1) * LOW_TOOTH * 64 * unit * across
    gap_l, _ = _arch(cols, look.inner, ARCH_LOW)
    tip_l = low_h - 0.25 * low_h * np.exp(-(gap_l / 0.8) ** 2)
    low = np.clip(tip_l - from_bottom + 0.5, 0, 1) * (from_bottom >= -0.5)
    edge_l = 1 - 0.15 * np.exp(-(gap_l / 0.6) ** 2)
    lower_teeth = look.teeth * (0.7 * edge_l * (0.7 + 0.3 * across))[:, None]
    inside = inside + low[..., None] * (lower_teeth - inside)
    if cue.between > 0:
        inside = draw_tip(inside, look.lip, across, from_top, from_bottom, top_h, unit, cue.between)
    tip_u = length - 0.12 * length * np.exp(-(gap_u / (1.2 * unit)) ** 2)
    up = np.clip(tip_u - from_top + 0.5, 0, 1) * (from_top >= -0.5) * side
    lit = 0.8 + 0.2 * np.clip(from_top / (1.2 * unit), 0, 1)  # the upper lip shades the teeth's roots
    shade = (0.55 + 0.45 * across ** 0.5) * lit
    shade = shade * (1 - 0.15 * np.exp(-(gap_u / (0.5 * unit + 0.3)) ** 2))  # the line between two teeth
    return inside + up[..., None] * (look.teeth * shade[..., None] - inside)
