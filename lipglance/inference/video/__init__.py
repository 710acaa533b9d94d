"""Dubbing a video: a video + new speech -> the video with its mouth re-rendered to the speech.

| module | what |
|---|---|
| `dub` | `dub(model, audio, video, out)`, `dub_stream`: decode, track, render and pace the dubbed frames |
| `dub_render` | the per-frame mouth renderer (the shape renderer with the speaker's rest width) |
| `track` | face landmarks over the video: the preprocessing tracker, streamed and smoothed |
| `mouths` | the speaker's own mouths: a dub reuses the inside of the mouth the video itself showed |
| `store` | a temporary on-disk store of the frames and landmarks, read back in any order (ping-pong) |
"""
