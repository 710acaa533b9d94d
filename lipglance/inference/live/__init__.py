"""Live lip sync: audio chunks in as they arrive, one frame out per 40 ms.

| module | what |
|---|---|
| `stream` | `stream_live(model, chunks, image)`; `LiveFace`, the streaming state with a fixed lookahead |
| `server` | `lipglance live`: a local HTTP server for `live.html`, whose microphone drives the face |
"""
