"""The offline talking-lips corpus: TTS phoneme timing -> visemes -> rendered lips (CORPUS.md)."""
