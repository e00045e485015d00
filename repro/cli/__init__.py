"""Layer 10: the command line, thin: parse, call one function, render."""
