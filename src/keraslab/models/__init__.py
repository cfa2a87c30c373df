"""Model builders: each returns a fresh, uncompiled Keras model (or a torch module)."""
