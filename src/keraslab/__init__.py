"""keraslab: the original module guide's Keras experiments, made real, measured and checked."""

__version__ = "0.1.0"
