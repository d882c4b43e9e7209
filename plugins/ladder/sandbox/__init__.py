"""Local stand-ins of the source and destination systems, for the demo and tests."""
