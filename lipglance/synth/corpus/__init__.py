"""The synthetic corpus written out: `lipglance synth` (docs/SYNTH.md). Above lipglance.synth (which makes one
talking-lips clip) and lipglance.data (the cache it writes).

| module | what |
|---|---|
| `cli` | `lipglance synth`: the command (cache or video form, or a preview sheet) |
| `shards` | the plan: identities and voices split disjointly, one shard per job; a shard written to the cache |
| `video` | the video form: clips as mp4/mpg files in a dataset layout, on a real photo's mouth |
| `preview` | a contact sheet of clips |
"""
