"""Data: the lip-crop + log-mel cache, preprocessing of real videos, the training dataset."""
