"""The renderers `LipSync.stream` knows (a module of its own, so the CLI can list them without loading torch).

auto: for a photo, shape when the model has a shape head, else warp when it has a motion probe; network for a lip
crop.
"""

RENDERERS = ("auto", "shape", "warp", "network")
