"""The one exception users see: a clear, one-line statement of what is wrong with their input."""


class DeepcamsError(ValueError):
    """Bad input or an impossible request; the CLI prints it as `error: ...` and exits with code 2."""
