"""Layer 1: content hashing and canonical serialization. Pure, no I/O."""

from repro.hashing.algorithms import (
    DEFAULT_ALGORITHM,
    Algorithm,
    HashObject,
    UnknownAlgorithmError,
    algorithm_names,
    get_algorithm,
    new,
)
from repro.hashing.canonical import CanonicalizationError, canonical_dumps, canonical_loads
from repro.hashing.hashinfo import HashInfo

__all__ = [
    "DEFAULT_ALGORITHM",
    "Algorithm",
    "CanonicalizationError",
    "HashInfo",
    "HashObject",
    "UnknownAlgorithmError",
    "algorithm_names",
    "canonical_dumps",
    "canonical_loads",
    "get_algorithm",
    "new",
]
