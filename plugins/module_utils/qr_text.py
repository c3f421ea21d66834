"""A QR code for a terminal that scans on light and dark backgrounds alike.

Half blocks put two modules in one character cell; every cell sets both its
foreground and its background colour explicitly (256-colour black 16 and
white 231), so nothing depends on the terminal's own colours, and the
four-module quiet zone is white too. A scanner needs dark modules on light.
"""

from __future__ import annotations

BLACK, WHITE = 16, 231
QUIET = 4
UPPER_HALF = "\u2580"
RESET = "\x1b[0m"


def _colour(dark):
    return BLACK if dark else WHITE


def terminal(matrix):
    """matrix: rows of truthy (dark) / falsy (light) modules -> text."""
    size = len(matrix)
    width = size + 2 * QUIET
    padded = [[False] * width for dummy in range(QUIET)]
    padded += [[False] * QUIET + [bool(m) for m in row] + [False] * QUIET for row in matrix]
    padded += [[False] * width for dummy in range(QUIET + (len(padded) + QUIET) % 2)]
    lines = []
    for top, bottom in zip(padded[::2], padded[1::2]):
        cells = "".join("\x1b[38;5;%d;48;5;%dm%s" % (_colour(t), _colour(b), UPPER_HALF) for t, b in zip(top, bottom))
        lines.append(cells + RESET)
    return "\n".join(lines) + "\n"
