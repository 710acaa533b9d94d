"""The model: speech + one image -> mouth shapes and frames, through the networks.

| module | what |
|---|---|
| `lipsync` | `LipSync`, the Python API: loading a checkpoint, the networks, `stream`, `generate`, `save` |
| `windows` | the networks' overlapping windows over long speech, their cross-fade, the closure decision per frame |
| `inputs` | what the API accepts as speech and as an image (paths, arrays, PIL images), checked and converted |
| `save` | `LipSync.save`: frames (and sound) to .mp4, .m4v or .mov, its folder made |
| `protocol` | `SpeechModel`: the calls dubbing and live make on a model (they import it, not `LipSync`) |
"""
