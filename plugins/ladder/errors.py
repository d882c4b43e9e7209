"""The one exception type for user mistakes: the CLI prints its message and exits 2."""


class LadderError(Exception):
    """A bad config, a missing connection or bad input: the message says how to fix it."""
