"""One exception type for problems a user can fix: the CLI prints its message as one line."""


class KeraslabError(Exception):
    """A bad input or a missing prerequisite. The message is shown to the user as it is."""

    exit_code = 2


class RunFailed(KeraslabError):
    """Training itself failed (for example a NaN loss); the run is stored as failed."""

    exit_code = 1


class RunInProgress(KeraslabError):
    """Another live process owns the run this command would resume (see keraslab.store)."""

    exit_code = 2
