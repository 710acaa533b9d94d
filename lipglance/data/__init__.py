"""Data: the lip-crop + log-mel training cache, preprocessing of real videos, the training dataset.

| module | what |
|---|---|
| `cache` | the cache format: memory-mappable shards, a manifest and a parameter hash |
| `cli_preprocess`, `preprocess` | `lipglance preprocess`: videos -> cache entries (mouth crops, aligned log-mel) |
| `track`, `layouts`, `jobs` | face landmarks over a video; where each dataset's videos are; resumable shard jobs |
| `dataset` | `LipClipDataset`: 16-frame windows with an identity frame and mismatched audio |
| `channel` | a random recording channel on a training log-mel (augmentation) |
| `av_offset` | `lipglance av-offset`: the audio-visual lag per video (paper Fig. 4) |

The synthetic corpus is written into this cache format by lipglance/synth/corpus/.
"""
