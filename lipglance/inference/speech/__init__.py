"""What is measured in the speech at inference, besides the log-mel features (lipglance/audio.py).

| module | what |
|---|---|
| `loudness` | the speech's active level, brought to the training corpus's before the features |
| `transcript` | a transcript's phones force-aligned to the speech (words not said: refused), their mouth shapes |
| `pauses` | the pauses inside the speech, made silences of the transcript's phones |
| `pause_gate` | the audio-only path's shapes closed in the recording's own pauses (offline and live) |
"""
