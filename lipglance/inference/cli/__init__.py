"""The inference commands. `lipglance/cli.py` dispatches each sub-command to one module here.

| module | what |
|---|---|
| `generate` | `lipglance generate`: speech + one image -> mp4 (and `--video`, `--batch` through the next two) |
| `dub` | `lipglance generate --video`: dubbing a video from the command line |
| `batch_jobs`, `jobs_csv` | `lipglance generate --batch jobs.csv`: many videos, one model load per worker |
| `faces` | `lipglance faces`: the faces found in a photo and a numbered preview |
| `export` | `lipglance export --onnx` |
| `demo`, `demo_faces`, `dub_demo` | `lipglance demo`: the page, its face picker and error words, its dub tab |
| `retime`, `progress` | `--fps` (frames re-timed by blending) and the progress bar |

`lipglance live` starts in lipglance.inference.live.server; output files are written by lipglance.io.outputs.
"""
