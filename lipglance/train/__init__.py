"""Training: one loop for the flow net, the perceptual autoencoder and the GAN; DDP; resume."""
