"""Evaluation: LMD, SSIM, PSNR, CPBD (docs/DESIGN.md, Evaluation protocol) and `lipglance evaluate`.

| module | what |
|---|---|
| `evaluate` | `lipglance evaluate`: a generator on a cache split |
| `metrics` | the frame metrics, each a registered function of (generated, real) clips |
| `silence`, `sync` | beyond the paper: the mouth closed in silence; its shape in sync with the speech, per viseme |
"""
