"""One exception hierarchy for genzoo.

Every error a user can cause derives from :class:`GenzooError`. The CLI maps each class to a
one-line message and a documented exit code (``exit_code``); library callers catch the class
they care about. Messages are complete sentences a person can act on: they name the file, the
field path, the tensor or the plugin involved.

Exit codes (documented in the README):

==== =========================================================
code meaning
==== =========================================================
0    success
1    invalid input: a spec, a data source, an argument, an image
2    command-line usage error (click's own)
3    unknown name (entry, family, loss, converter, data source)
4    weights problem: missing, corrupt, mismatched, unsafe
5    Hub or network problem, offline miss, licence not accepted
6    plugin problem
==== =========================================================
"""

from __future__ import annotations

from collections.abc import Iterable


class GenzooError(Exception):
    """Base class of every error genzoo raises on purpose."""

    exit_code = 1


class SpecError(GenzooError):
    """A spec file or spec object is invalid.

    ``problems`` holds one line per problem, each already formatted as
    ``file:line: spec.<path>: message``.
    """

    exit_code = 1

    def __init__(self, problems: Iterable[str] | str) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class UnknownNameError(GenzooError, KeyError):
    """A name (entry, family, loss, ...) is not registered; suggests close matches."""

    exit_code = 3

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        import difflib

        known = sorted(known)
        self.kind, self.name, self.known = kind, name, known
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        msg = f"unknown {kind} {name!r}"
        if close:
            msg += f"; did you mean {', '.join(repr(c) for c in close)}?"
        elif known:
            shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            msg += f"; known: {shown}"
        else:
            msg += f"; no {kind} is registered"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class DuplicateNameError(GenzooError):
    """Two plugins registered the same name in one registry."""

    exit_code = 6


class PluginError(GenzooError):
    """A plugin failed to load or registered something invalid."""

    exit_code = 6


class WeightsError(GenzooError):
    """Weights are missing, corrupt, or do not match the model (names the tensor)."""

    exit_code = 4


class UnsafePickleError(WeightsError):
    """A pickle references a global that is not on the allow-list; nothing was executed."""


class UnsupportedCheckpointError(WeightsError):
    """A foreign checkpoint is well-formed but of a kind genzoo cannot convert."""


class DataError(GenzooError):
    """A data source is missing, unreadable, or of the wrong shape."""

    exit_code = 1


class HubError(GenzooError):
    """A Hub operation failed (not found, unreachable, hash mismatch, ...)."""

    exit_code = 5


class OfflineError(HubError):
    """Offline mode is on and what was asked for is not in the local store or cache."""


class LicenseNotAcceptedError(HubError):
    """An entry's licence must be accepted before its weights are downloaded."""


class CancelledError(HubError):
    """The person stopped a download (a progress callback raised it); nothing was installed."""


class CapabilityError(GenzooError):
    """A model was asked to do something its family cannot (e.g. encode with a GAN)."""

    exit_code = 1
