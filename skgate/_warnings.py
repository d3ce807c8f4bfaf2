"""Warnings that point at the user's line: the first frame outside skgate, however deep the
warning is raised (a fixed ``stacklevel`` points at a different skgate frame from each entry)."""

import os
import sys
import warnings

__all__ = ["warn"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _first_frame_outside_skgate():
    """``stacklevel`` for :func:`warnings.warn` called from :func:`warn`'s caller."""
    frame = sys._getframe(2)  # warn's caller
    level = 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level


def warn(message, category=UserWarning):
    """Issue ``message`` as ``category``, attributed to the code that called into skgate."""
    warnings.warn(message, category, stacklevel=_first_frame_outside_skgate())
