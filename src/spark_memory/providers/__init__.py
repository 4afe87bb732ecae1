"""Ports to the outside: embedders and chat models."""
