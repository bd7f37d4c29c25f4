"""Radial self-attention processors, one per model family, on a shared base."""
