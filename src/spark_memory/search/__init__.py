"""Hybrid retrieval: lexical + vector + trust, fused by reciprocal rank."""
