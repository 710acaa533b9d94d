"""Faces in a photo: which of dlib's detections are faces, the faces of a photo, the face in a given box.

| module | what |
|---|---|
| `find` | `find_faces`, `face_in_box`, `parse_box`: dlib's detections checked by landmark sanity and size |

dlib itself (detector, 68 landmarks, the lip crop rule) is wrapped in lipglance/face.py, shared with training;
the mouth of the chosen face is cropped and pasted back by lipglance.inference.render.paste.
"""
