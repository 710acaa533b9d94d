"""The offline talking-lips generator: TTS phoneme timing -> visemes -> rendered lips (docs/SYNTH.md).

| module | what |
|---|---|
| `text`, `tts` | sentences; speech and phone timings from the TTS voices |
| `phonemes`, `articulation` | phones -> lip targets; coarticulation and bilabial closure over time |
| `geometry`, `appearance`, `render`, `photo` | lip points; identities; drawing the lips; a real photo's mouth warped |
| `clip` | one synthetic clip: speech, frames and ground-truth points |
| `corpus/` | `lipglance synth`: a whole corpus written as a cache or as videos |
"""
