"""Training: one loop for the flow net, the perceptual autoencoder and the GAN; DDP; resume.

| module | what |
|---|---|
| `cli` | `lipglance train STAGE` |
| `loop`, `steps`, `stages` | the training loop in phases; one optimisation step per stage; how stages differ |
| `state`, `distributed` | the training state on disk (safetensors), resume; torchrun |
| `logging`, `validate` | TensorBoard and jsonl logs on rank 0; periodic validation |
"""
