"""repro: any past pipeline run, replayed exactly, anywhere, with proof."""

__version__ = "0.1.0"

__all__ = ["__version__"]
