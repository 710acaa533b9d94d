"""Choosing the face: implausible detections rejected, `lipglance faces`, --box, negative indices refused."""

from __future__ import annotations

import os
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import skimage.data
from PIL import Image

from lipglance.cli import main
from lipglance.face import detect_faces, landmarks
from lipglance.inference.faces.find import face_in_box, find_faces, implausible, parse_box
from lipglance.io.image import read_image
from lipglance.samples import sample_photos


def _suit(scale: float) -> np.ndarray:
    """The astronaut's suit with its name patch (where dlib fires), no real face."""
    low = skimage.data.astronaut()[250:]
    return np.ascontiguousarray(cv2.resize(low, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC))


def _png(path: Path, rgb: np.ndarray) -> Path:
    Image.fromarray(rgb).save(path)
    return path


def test_real_faces_pass_and_the_name_patch_is_rejected() -> None:
    for path in sample_photos():
        photo = read_image(path)
        for scale in (0.5, 1.0, 2.0):
            img = np.ascontiguousarray(cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
            faces, _ = find_faces(img)
            assert len(faces) == 1, (path.name, scale)
    astronaut = skimage.data.astronaut()
    boxes = detect_faces(astronaut, upsample=1)  # the face and the patch on the suit
    patch = [b for b in boxes if b.top > 250]
    assert patch and implausible(landmarks(astronaut, patch[0]), patch[0]) is not None
    for scale in (1.0, 2.0):
        faces, rejected = find_faces(_suit(scale))
        assert faces == [] and rejected, scale
    twice = np.ascontiguousarray(cv2.resize(astronaut, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))
    faces, rejected = find_faces(twice)  # at 2x dlib fires on the patch too: it does not count as face 1
    assert len(faces) == 1 and len(rejected) == 1 and rejected[0][0].box.top > 500


def test_a_tiny_face_is_rejected() -> None:
    small = np.ascontiguousarray(cv2.resize(skimage.data.astronaut(), None, fx=0.25, fy=0.25,
                                            interpolation=cv2.INTER_AREA))
    with pytest.raises(ValueError, match="too small"):
        face_in_box(small, (45, 21, 22, 22))  # the astronaut's face, 22 px wide
    assert face_in_box(skimage.data.astronaut(), (179, 83, 87, 87)).xywh() == (179, 83, 87, 87)


def test_faces_command_lists_boxes_and_writes_a_numbered_preview(tmp_path: Path, astronaut_png: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    twice = _png(tmp_path / "crew.png", np.ascontiguousarray(cv2.resize(skimage.data.astronaut(), None, fx=2, fy=2)))
    preview = tmp_path / "sub" / "preview.png"
    assert main(["faces", str(twice), "-o", str(preview)]) == 0
    out = capsys.readouterr().out
    assert "1 face(s)" in out and "face 0: box " in out and "rejected: box " in out
    box = out.split("face 0: box ")[1].split()[0]
    x, y, w, h = parse_box(box)
    assert 300 < x < 420 and 100 < y < 220 and 150 < w < 220
    img = read_image(preview)
    assert img.shape == (1024, 1024, 3) and (preview.stat().st_mode & 0o777) == 0o644
    red = (img[..., 0] > 200) & (img[..., 1] < 80) & (img[..., 2] < 80)
    assert red[y:y + h + 1, x - 3:x + 4].mean() > 0.5  # the box's left edge is drawn
    assert red[max(0, y - 40):y, x:x + 40].mean() > 0.3  # the number's label above it
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["faces", str(astronaut_png)]) == 0
    finally:
        os.chdir(cwd)
    assert (tmp_path / "astronaut.faces.png").is_file()


def test_generate_with_a_box_and_refusals(tmp_path: Path, sample_wav: Path, astronaut_png: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.mp4"
    assert main(["generate", "--audio", str(sample_wav), "--image", str(astronaut_png), "-o", str(out),
                 "--box", "179,83,87,87", "--lips-only"]) == 0
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.width == 64
    out.unlink()
    capsys.readouterr()
    suit = _png(tmp_path / "suit.png", _suit(2.0))
    cases = [(["--face-index", "-1"], "faces count from 0"),
             (["--box", "1,2,3"], "--box '1,2,3' is not a face box: give x,y,w,h"),
             (["--box", "10,10,0,50"], "is not a face box: x and y must be >= 0, width and height > 0"),
             (["--box", "400,400,300,300"], "cannot use the face box: --box 400,400,300,300 reaches outside"),
             (["--box", "0,0,120,120"], "cannot use the face box: --box 0,0,120,120 holds no face glance can use"),
             (["--box", "179,83,87,87", "--face-index", "1"], "give one of them"),
             (["--image", str(suit)], "no face found in the image (1 face-like detection(s) rejected"),
             (["--face-index", "1"], "--face-index 1 asked, but the image has 1 face(s)")]
    for extra, message in cases:
        image = [] if "--image" in extra else ["--image", str(astronaut_png)]
        code = main(["generate", "--audio", str(sample_wav), *image, "-o", str(out), *extra])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and message in err[0], (extra, err)
        assert not out.exists() and not list(tmp_path.glob(".o.mp4*"))


def test_api_box_and_negative_index(astronaut_png: Path) -> None:
    from lipglance.errors import UserError
    from lipglance.inference.model.lipsync import LipSync

    model = LipSync.from_pretrained()
    audio = np.zeros(4000, np.float32)
    photo = read_image(astronaut_png)
    frames = model.generate(audio, photo, box=(179, 83, 87, 87), lips_only=True)
    assert frames.shape[1:] == (64, 64, 3)
    with pytest.raises(UserError, match="count from 0"):
        model.generate(audio, photo, face_index=-1)


def test_faces_command_bad_input(tmp_path: Path, sample_wav: Path, astronaut_png: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    for argv, message in ([str(tmp_path / "nope.png")], "no such image file"), \
            ([str(sample_wav)], "not a readable image"), \
            ([str(astronaut_png), "-o", str(tmp_path / "p.jpg")], "must be a .png file"):
        assert main(["faces", *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0] and "Traceback" not in err[0], err
    assert list(tmp_path.iterdir()) == []
