"""Synthetic collector-car marketplace generator (the raw source tables of contextpack)."""
