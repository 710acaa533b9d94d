"""The shape renderer (beyond the paper): a photo's own lips moved to the shape head's 20 mouth points.

Per frame the shape head (lipglance.shape) gives the mouth's displacement from its rest shape, in
rest mouth widths, upright. `ShapeWarp` turns that into target points on the photo: its mouth
closed (upper lip down 40%, lower lip up 60% of the gap, as `lipglance.inference.render.closing` does), plus the
displacement scaled by the photo's mouth width and turned with its corner line. Then one warp,
at the photo's resolution, inside a box around the mouth and jaw:

- across: the mouth narrows or widens about its centre (rounding, spreading); the skin next to its
  corners moves with them and the cheeks further out absorb the change, fading out above and below the lips;
- down each column: the outer and inner edges of both lips go to their targets (upper and lower
  lip separately, thicker when protruded); the skin above the lip and down to the chin stretches
  (the jaw follows the lower lip); the box's edges never move.

Parted lips start past the photo's seam (the dark line where its lips meet: SEAM), so they keep their own colour
at the inner edge. Between them the inside is drawn (`lipglance.inference.render.inside`): upper teeth (the
photo's own where it shows them), lower teeth once the jaw is far down, a tongue (its tip on th and l when the
phones are known: `frames`' tongues), a dark warm cavity, all in the colours of the photo's own lips, skin and
teeth. The stretch above and below the lips ends inside the box. An opening below
`lipglance.shape.CLOSED` is exactly closed lips, so p/b/m and silence close the mouth.
Nothing outside the box changes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property

import cv2
import numpy as np

from lipglance.errors import UserError
from lipglance.inference.render.closing import ABOVE, BELOW, UPPER_SHARE
from lipglance.inference.render.expression import GrinRelax, grin_offset
from lipglance.inference.render.inside import Donor, MouthLook, fill_inside
from lipglance.inference.render.jaw import JawWarp
from lipglance.inference.render.lips import box_side, curve, mouth_gap
from lipglance.inference.render.paste import FaceTarget
from lipglance.inference.render.rounding import CHEEK_IN, round_lips, rounding_of, teeth_share
from lipglance.inference.render.tongue import Tongue
from lipglance.inference.render.warp import MouthWarp
from lipglance.shape import CLOSED, mouth_width, opening_shape

SIDE_MARGIN = 0.35  # of the mouth width, beside each corner: cheek that absorbs narrowing and widening
SEAM = 1.5  # units (box side / 64): the photo's lip seam that parted lips leave behind at their inner edges
# Of that cheek band, the share next to each corner that moves with the corner (the skin at the mouth's corners follows
# them as the lips round or spread); the rest, toward the box's side, stretches or shrinks. With 0 the whole band
# stretched, so the photo's corner creases stayed where they were and dlib read about 2/3 of the width's change
# (docs/sync_ablations/README.md, "Width calibration")
CORNER_SKIN = 0.5
JAW_SHARE = 0.5  # of the inner-lip opening that the jaw makes (the lower lip rides on it; docs/DESIGN.md)
# The inner opening beyond NEAR_CLOSED grows AMPLITUDE times (times the user's `amplitude`, default 1), the shape's
# vertical movement with it: calibrated so that open vowels open the lips 18 mm on a 50-mm mouth (docs/DESIGN.md,
# Amplitude; tests/test_jaw.py recomputes it). Near-closed mouths (pauses, seals and their edges) stay as they are.
AMPLITUDE = 1.47
NEAR_CLOSED = 2 * CLOSED  # rest widths: openings up to this are neither grown nor lower the jaw
KNEE, MOST_OPEN = 0.32, 0.44  # rest widths: openings past KNEE ease toward MOST_OPEN (22 mm on a 50-mm mouth)
MAX_AMPLITUDE = 3.0  # the largest user amplitude


def speech_opening(opening: float, gain: float) -> float:
    """An inner opening (rest widths, above CLOSED) as drawn: grown by `gain` beyond NEAR_CLOSED, easing from KNEE
    toward MOST_OPEN (no speech opens wider; docs/DESIGN.md, Amplitude)."""
    if opening <= NEAR_CLOSED:
        return opening
    grown = NEAR_CLOSED + gain * (opening - NEAR_CLOSED)
    if grown <= KNEE:
        return grown
    return float(KNEE + (MOST_OPEN - KNEE) * np.tanh((grown - KNEE) / (MOST_OPEN - KNEE)))


def check_amplitude(amplitude: object) -> float:
    """The user's amplitude as a float; UserError unless it is a number from 0 to MAX_AMPLITUDE."""
    if isinstance(amplitude, bool) or not isinstance(amplitude, (int, float, np.floating, np.integer)) or \
            not 0 <= float(amplitude) <= MAX_AMPLITUDE:
        raise UserError(f"amplitude {amplitude!r}: give a number from 0 (still lips) to {MAX_AMPLITUDE:g} "
                        "(1: the calibrated default)")
    return float(amplitude)


def _curves(pts: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """[4, len(xs)]: outer top, inner upper, inner lower, outer bottom edges of the lips at columns xs."""
    upper, lower, _ = mouth_gap(pts, xs)
    top = curve(pts[[0, 1, 2, 3, 4, 5, 6]], xs)
    bottom = curve(pts[[6, 7, 8, 9, 10, 11, 0]], xs)
    lower = np.maximum(lower, upper)
    return np.stack([np.minimum(top, upper), upper, lower, np.maximum(bottom, lower)])


def closed_points(points: np.ndarray) -> np.ndarray:
    """Mouth points [20, 2] with the lips brought together the way a jaw closes (see module doc)."""
    pts = np.asarray(points, np.float64).copy()
    upper, lower, gap = mouth_gap(pts, pts[:, 0])
    up, low = [1, 2, 3, 4, 5, 13, 14, 15], [7, 8, 9, 10, 11, 17, 18, 19]
    pts[up, 1] += UPPER_SHARE * gap[up]
    pts[low, 1] -= (1 - UPPER_SHARE) * gap[low]
    return pts


@dataclass(frozen=True)
class ShapeWarp(MouthWarp):
    """A photo's (or lip crop's) mouth, moved to shapes; `for_photo` and `for_crop` find it as MouthWarp does.
    `jaw`: the face's lower face, lowered with the opening (a face photo's; none for a lip crop). `gain`: the
    opening beyond NEAR_CLOSED grows by it (AMPLITUDE times the user's amplitude). `grin`: the shape that
    relaxes the photo's grin while it speaks (lipglance.inference.render.expression; None: not a grin, or kept)."""

    jaw: JawWarp | None = None
    gain: float = AMPLITUDE
    grin: np.ndarray | None = None
    jaw_points: np.ndarray | None = None  # the mouth points moved by the jaw at its drops (JawWarp.points_table)

    @classmethod
    def for_photo(cls, target: FaceTarget) -> ShapeWarp:
        warp = super().for_photo(target)
        assert isinstance(warp, ShapeWarp)
        if target.face is None:
            return warp
        jaw = JawWarp.for_face(target.face, target.photo.shape)
        return replace(warp, jaw=jaw, grin=grin_offset(target.face, warp.points),
                       jaw_points=jaw.points_table(warp.points))

    @property
    def changed(self) -> tuple[int, int, int, int]:
        """x0, y0, x1, y1 of every pixel a frame can change: the mouth's box and the jaw's."""
        if self.jaw is None:
            return self.roi
        (a0, b0, a1, b1), (c0, d0, c1, d1) = self.roi, self.jaw.roi
        return min(a0, c0), min(b0, d0), max(a1, c1), max(b1, d1)

    def tuned(self, amplitude: float = 1.0, keep_expression: bool = False) -> ShapeWarp:
        """This warp with the user's `amplitude` (1: calibrated) and, with `keep_expression`, the photo's grin
        kept while it speaks."""
        gain = AMPLITUDE * check_amplitude(amplitude)
        return replace(self, gain=gain, grin=None if keep_expression or gain == 0 else self.grin)

    def relaxer(self, fps: float = 25.0) -> GrinRelax | None:
        """The per-stream state that relaxes a grin (None when there is none to relax)."""
        return None if self.grin is None else GrinRelax(self.grin, fps)

    def frames(self, shapes: Iterable[np.ndarray], fps: float = 25.0,
               tongues: Iterable[Tongue | None] | None = None) -> Iterator[np.ndarray]:
        """The frames of a stream of shapes, a grin relaxing while the mouth speaks; `tongues`: a tongue cue per
        frame when the phones are known (lipglance.inference.render.tongue)."""
        relax = self.relaxer(fps)
        cues = itertools.repeat(None) if tongues is None else itertools.chain(tongues, itertools.repeat(None))
        for shape, tongue in zip(shapes, cues, strict=False):
            yield self.frame(shape, expression=None if relax is None else relax.advance(shape), tongue=tongue)

    @classmethod
    def for_image(cls, image: np.ndarray, points: np.ndarray) -> ShapeWarp:
        pts = np.asarray(points, np.float64)
        side, width = box_side(pts), float(mouth_width(pts))
        h, w = image.shape[:2]
        x0 = max(0, int(pts[:, 0].min() - SIDE_MARGIN * width) - 2)
        x1 = min(w, int(np.ceil(pts[:, 0].max() + SIDE_MARGIN * width)) + 3)
        y0 = max(0, int(pts[:, 1].min() - ABOVE * side) - 3)
        y1 = min(h, int(np.ceil(pts[:, 1].max() + BELOW * side)) + 4)
        return cls(image, pts, (x0, y0, x1, y1))

    @cached_property
    def closed_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """The photo's mouth closed (`closed_points`) [20, 2] and the rotation [2, 2] of its corner line: the same
        for every frame, so computed once."""
        closed = closed_points(self.points)
        d = closed[6] - closed[0]
        a = np.arctan2(d[1], d[0])
        return closed, np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])

    def target(self, shape: np.ndarray, expression: np.ndarray | None = None) -> np.ndarray:
        """Image points [20, 2] for a shape [20, 2] (displacement from rest, rest widths, upright), its opening
        grown by the gain, plus an `expression` [20, 2] (same units; lipglance.inference.render.expression)."""
        rest, rot = self.closed_pose
        shape = np.asarray(shape, np.float64).copy()
        if shape[18, 1] - shape[14, 1] < CLOSED:  # sealed: inner lips meet halfway
            mid = (shape[13:16, 1] + shape[[19, 18, 17], 1]) / 2
            shape[13:16, 1], shape[[19, 18, 17], 1] = mid, mid
        opening = shape[18, 1] - shape[14, 1]
        if self.gain == 0:
            shape[:, 1] = 0.0
        elif opening > CLOSED:
            shape[:, 1] *= speech_opening(opening, self.gain) / opening
        if expression is not None:
            shape = shape + expression
        return rest + shape @ rot.T * self.width

    def frame(self, shape: float | np.ndarray, donor: Donor | None = None,
              expression: np.ndarray | None = None, tongue: Tongue | None = None) -> np.ndarray:
        """The image with its mouth moved to `shape` [20, 2] (zeros: closed at rest), or opened by a number of
        mouth widths (lipglance.shape.opening_shape), the jaw lowered with it; `donor`: an inside for the opening
        instead of the drawn one; `expression` as in `target`; `tongue`: the frame's tongue cue
        (lipglance.inference.render.tongue; None: the tongue's body on open vowels only)."""
        shape = opening_shape(float(shape)) if np.ndim(shape) == 0 else np.asarray(shape)
        target = self.target(shape, expression)
        rounding = 0.0 if self.gain == 0 else rounding_of(shape)  # still lips (amplitude 0) do not pout
        x0, y0, x1, y1 = self.roi
        out, region, src = self.image.copy(), self.region, self.points
        look = self.look if donor is None else MouthLook.given(donor, self.region.shape[1])
        if self.jaw is not None:
            drop = JAW_SHARE * max(float(np.linalg.norm(target[18] - target[14])) - NEAR_CLOSED * self.width, 0.0)
            if self.jaw.clamp(drop) > 0:
                self.jaw.apply(out, self.image, drop)
                src = (self.jaw.move_points(self.points, drop) if self.jaw_points is None
                       else self.jaw.table_points(self.jaw_points, drop))
                region = np.ascontiguousarray(out[y0:y1, x0:x1])
        out[y0:y1, x0:x1] = warp_mouth(region, src - [x0, y0], target - [x0, y0], look, tongue, rounding)
        return out


def _columns(ys: np.ndarray, t_curves: np.ndarray, s_curves: np.ndarray, far_top: np.ndarray,
             far_bottom: np.ndarray) -> np.ndarray:
    """[len(ys), C]: per column, the source row of each output row: piecewise linear through the knots (box top,
    far top, the four lip edges, far bottom, box bottom), target knots to source knots (np.interp per column)."""
    h, n = float(len(ys)), t_curves.shape[1]
    step = 1e-3 * np.arange(8)[:, None]
    edge = np.ones((1, n))
    knots_out = np.maximum.accumulate(np.concatenate([-edge, far_top[None], t_curves, far_bottom[None], h * edge])
                                      + step, axis=0)
    knots_in = np.concatenate([-edge, far_top[None], s_curves, far_bottom[None], h * edge]) + step
    out = np.broadcast_to(knots_in[0], (len(ys), n)).copy()
    y = ys[:, None]
    for j in range(7):
        span = knots_out[j + 1] - knots_out[j]
        t = np.clip((y - knots_out[j]) / np.maximum(span, 1e-9), 0.0, 1.0)
        out += t * (knots_in[j + 1] - knots_in[j])
    return out


def warp_mouth(image: np.ndarray, src: np.ndarray, dst: np.ndarray, look: MouthLook | None = None,
               tongue: Tongue | None = None, rounding: float = 0.0) -> np.ndarray:
    """`image` [H, W, 3] with the mouth at points `src` [20, 2] moved to points `dst` (see module doc); `look`:
    `MouthLook.read(image, src)`, read here when not given; `tongue`: the frame's tongue cue; `rounding`: how far
    the lips pout (lipglance.inference.render.rounding; 0: not at all)."""
    h, w = image.shape[:2]
    unit = box_side(src) / 64
    xs = np.arange(w, dtype=np.float64)
    ys = np.arange(h, dtype=np.float64)
    # Across: the target mouth's corners come from the source's, the skin next to them with them (CORNER_SKIN of the
    # cheek band), the box's sides stay.
    ts, ss = sorted((dst[0, 0], dst[6, 0])), sorted((src[0, 0], src[6, 0]))
    edge_l, edge_r = -1.0, float(w)
    skin = CORNER_SKIN + CHEEK_IN * rounding  # rounded lips draw the cheeks beside them in
    near_l = skin * min(ss[0], ts[0]) - skin * edge_l  # knots stay in order however wide the mouth
    near_r = skin * edge_r - skin * max(ss[1], ts[1])
    across = np.interp(xs, [edge_l, ts[0] - near_l, ts[0], ts[1], ts[1] + near_r, edge_r],
                       [edge_l, ss[0] - near_l, ss[0], ss[1], ss[1] + near_r, edge_r])
    t_curves, s_curves = _curves(dst, xs), _curves(src, across)
    lips_top = min(dst[:, 1].min(), src[:, 1].min())
    lips_bottom = max(dst[:, 1].max(), src[:, 1].max())
    if rounding > 0:  # fuller lips, moved out no further than leaves the skin's stretch above and below in the box
        full = round_lips(t_curves, xs, dst, rounding)
        full[0] = np.maximum(full[0], np.minimum(t_curves[0], 0.5 * ABOVE * 64 * unit))
        full[3] = np.minimum(full[3], np.maximum(t_curves[3], h - 1 - (BELOW * 64 + 1) * unit))
        t_curves = full
        # they reach past their points (between the corners: the fits run wild beyond them)
        between = slice(max(int(np.ceil(ts[0])), 0), max(int(ts[1]) + 1, 1))
        lips_top = min(lips_top, float(t_curves[0, between].min(initial=lips_top)))
        lips_bottom = max(lips_bottom, float(t_curves[3, between].max(initial=lips_bottom)))
    fade = np.interp(ys, [-1, lips_top - 2 * unit, lips_bottom + 2 * unit, h], [0, 1, 1, 0])
    map_x = xs[None, :] + fade[:, None] * (across - xs)[None, :]
    # Down each column: lip edges to their targets; columns beyond the corners fade back to rest.
    corner = np.clip(np.minimum(xs - ts[0], ts[1] - xs) / max(SIDE_MARGIN * (ts[1] - ts[0]), 1.0) + 1, 0, 1)
    _, _, s_gap = mouth_gap(src, across)
    # Parted lips start past the photo's seam (the dark line where its lips meet), so they keep their own colour
    # at the inner edge instead of a dark outline; a mouth closing gets the seam back.
    seam = np.minimum(SEAM * unit * np.clip((t_curves[2] - t_curves[1]) / (4 * unit), 0, 1),
                      0.3 * np.minimum(s_curves[1] - s_curves[0], s_curves[3] - s_curves[2]))
    reach = np.maximum(np.minimum(1.0 * unit, s_gap), seam)
    s_curves[1] -= reach
    s_curves[2] += reach
    t_curves = s_curves + corner[None, :] * (t_curves - s_curves)
    # The stretch ends within the box (a lip the jaw lowered may leave less than BELOW below it): its edges stay.
    far_top = np.maximum(np.minimum(t_curves[0], s_curves[0]) - ABOVE * 64 * unit, 0.0)
    far_bottom = np.minimum(np.maximum(t_curves[3], s_curves[3]) + BELOW * 64 * unit, h - 1.0)
    map_y = np.tile(ys[:, None], (1, w))
    cols = np.flatnonzero(corner > 0)
    if len(cols):
        map_y[:, cols] = _columns(ys, t_curves[:, cols], s_curves[:, cols], far_top[cols], far_bottom[cols])
    out = cv2.remap(image, map_x.astype(np.float32), map_y.astype(np.float32), cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE)
    new_upper, new_lower = t_curves[1], t_curves[2]
    size = np.where(corner >= 1, new_lower - new_upper, 0.0)
    if size.max() < 0.5:
        return out
    edge = np.minimum(ys[:, None] - new_upper[None, :], new_lower[None, :] - ys[:, None]) + 0.5
    hole = (np.clip(edge, 0, 1) * np.clip(size / unit, 0, 1)[None, :]).astype(np.float32)
    share = teeth_share(rounding, float(np.linalg.norm(dst[18] - dst[14])) / max(float(mouth_width(src)), 1.0))
    return fill_inside(out, image, hole, src, new_upper, new_lower, across, look, tongue, teeth_share=share)
