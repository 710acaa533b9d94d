"""Drawing a frame: the photo's mouth moved to the model's output, pasted back, and the living photo around it.

| module | what |
|---|---|
| `renderers` | the renderer names (`auto`, `shape`, `warp`, `network`), importable without torch |
| `shape` | the shape renderer: the photo's own lips moved to the shape head's 20 mouth points |
| `warp` | the warp renderer (the photo's lips opened by the motion probe) and the network renderer's crop |
| `jaw` | the lower face (chin, jaw line, cheeks) lowered with the opening, a layer over the neck |
| `expression` | a grinning photo relaxes toward a speaking mouth while it speaks |
| `closing`, `lips` | the vertical warp that closes or opens a mouth; the lip curves it and `inside` measure |
| `inside` | the inside of an opened mouth: the photo's own teeth, or teeth, tongue and cavity drawn in its light |
| `paste` | full-face mode: the picked face's mouth cropped (faces/ picks it), generated lips pasted back |
| `living`, `blink`, `head` | the living photo: eye blinks and a speech-driven head sway |
"""
