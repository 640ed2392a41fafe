"""Protocol messages of the ML-Agents communication API 1.5.0, generated from protos/ by
scripts/generate_protos.py. Do not edit the *_pb2 modules by hand."""
