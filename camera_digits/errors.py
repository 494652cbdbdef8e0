"""Exceptions the package raises; `main()` functions turn them into one-line messages."""


class CameraDigitsError(Exception):
    """Base class: a problem the user can fix, described in one line."""


class SourceError(CameraDigitsError):
    """A camera, video, stream, image or folder could not be opened or read."""


class ModelError(CameraDigitsError):
    """A model file is missing, unreadable or of the wrong shape."""


class DataError(CameraDigitsError):
    """A training data file is missing or malformed."""
