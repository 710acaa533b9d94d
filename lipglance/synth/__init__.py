"""The offline talking-lips corpus: TTS phoneme timing -> visemes -> rendered lips (docs/SYNTH.md)."""
