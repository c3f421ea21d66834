"""Problems found in inventory data: each names the host, the variable and the fix."""

from __future__ import annotations

ERROR = "error"
WARNING = "warning"


class Problems:
    def __init__(self):
        self.items = []

    def error(self, host, variable, message, fix):
        self.items.append({"level": ERROR, "host": host, "variable": variable, "message": message, "fix": fix})

    def warning(self, host, variable, message, fix):
        self.items.append({"level": WARNING, "host": host, "variable": variable, "message": message, "fix": fix})

    @property
    def errors(self):
        return [p for p in self.items if p["level"] == ERROR]

    @property
    def warnings(self):
        return [p for p in self.items if p["level"] == WARNING]

    def extend(self, other):
        self.items.extend(other.items)


def format_problem(p):
    return "host %s: %s: %s. Fix: %s" % (p["host"], p["variable"], p["message"], p["fix"])
