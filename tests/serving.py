"""Start a real `evidence serve` on loopback for a test (the same starter bench/load.py uses)."""

from emg_evidence.serving.server import evidence_serve, free_port

__all__ = ["evidence_serve", "free_port"]
