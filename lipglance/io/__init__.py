"""File input/output: audio decoding, video writing."""
