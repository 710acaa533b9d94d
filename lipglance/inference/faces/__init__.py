"""Faces in a photo: the one place that finds, checks and picks the face to animate.

| in `find` | what |
|---|---|
| `find_faces` | the faces of a photo, largest first: dlib's detections checked by landmark sanity and size |
| `face_in_box`, `parse_box` | the face in a box a user gives (`--box x,y,w,h`) |
| `pick_face` | the face to animate (`--face-index`, `--box`), or a one-line error |
| `check_image` | a lip crop or a photo (or neither: refused) |

dlib itself (detector, 68 landmarks, the lip crop rule) is wrapped in lipglance/face.py, shared with training;
the mouth of the picked face is cropped and pasted back by lipglance.inference.render.paste.
"""
