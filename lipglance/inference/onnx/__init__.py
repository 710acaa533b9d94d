"""The model's networks as ONNX graphs, and running them with onnxruntime.

| module | what |
|---|---|
| `export` | `export_onnx`: every network the inference paths call, as graphs + a JSON sidecar |
| `backend` | `onnx_model`: a `LipSync` whose network calls run those graphs (`--backend onnx`) |
| `cache` | `cached_export`: a checkpoint's export kept in the user's cache, keyed by its hash |
"""
