"""Evaluation: LMD, SSIM, PSNR, CPBD (docs/DESIGN.md, Evaluation protocol) and `lipglance evaluate`."""
