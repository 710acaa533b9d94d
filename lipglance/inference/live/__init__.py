"""Live lip sync: audio chunks in as they arrive, one frame out per 40 ms.

| module | what |
|---|---|
| `stream` | `LiveFace`: the streaming model state with a fixed lookahead (`LipSync.stream_live`) |
| `server` | `lipglance live`: a local HTTP server for `live.html`, whose microphone drives the face |
"""
