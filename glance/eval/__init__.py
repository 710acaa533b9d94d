"""Evaluation: LMD, SSIM, PSNR, CPBD (SPEC section 5) and `glance evaluate`."""
