"""Reading and writing files: audio, images and video with PyAV / FFmpeg, and files written whole or not at all.

| module | what |
|---|---|
| `audio` | any audio (or a video's sound) -> mono float32 at a given rate; the API's samples checked; resampling |
| `image` | a photo or lip crop -> uint8 RGB, size limits checked before decoding |
| `decode` | talking-face videos -> frames at a fixed fps with aligned audio |
| `video`, `soundtrack` | writing H.264 + AAC mp4; the input's own sound as the soundtrack |
| `outputs` | `atomic_write`, and the files the CLI writes: checked first, written whole, mode 0644 |
| `prefetch` | a source iterated a few items ahead in a background thread |
"""
