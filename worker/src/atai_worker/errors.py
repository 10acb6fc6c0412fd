"""One exception base for every stage, so callers catch one type and read its code."""


class WorkerError(Exception):
    """A failure with a stage, a stable snake_case code and a message in words.

    Messages start with the stage, say what failed, then the detail:
    ``fetch: got 404 from https://example.org/feed``. `retry_after` is set on a failure that will pass
    (a rate limit, an endpoint that is down for a moment, a time-out): the seconds the other side asked
    us to wait, 0 when it named none. The runner tries such an item again within the run.
    """

    stage = "worker"
    code = "internal_error"
    retryable = True
    retry_after: float | None = None

    def __init__(self, message, *, code=None, retryable=None, retry_after=None):
        super().__init__(message)
        self.message = message
        # What the item error carries besides the message: the usage of calls paid for, a relevance score.
        self.details: dict = {}
        if code is not None:
            self.code = code
        if retryable is not None:
            self.retryable = retryable
        if retry_after is not None:
            self.retry_after = retry_after

    def as_dict(self):
        return {"stage": self.stage, "code": self.code, "message": self.message, "retryable": self.retryable}


class FetchError(WorkerError):
    """status: the HTTP status a server answered with, when it did; retry_after: its Retry-After, if any."""

    stage = "fetch"
    code = "fetch_failed"

    def __init__(self, message, *, code=None, retryable=None, status: int | None = None,
                 retry_after: int | None = None):
        super().__init__(message, code=code, retryable=retryable, retry_after=retry_after)
        self.status = status


class ParseError(WorkerError):
    stage = "parse"
    code = "not_a_feed"
    retryable = False


class FilterError(WorkerError):
    """A feed filter that cannot be used (a refused or broken pattern): the run fails with the reason."""

    stage = "filters"
    code = "filter_invalid"
    retryable = False


class ExtractError(WorkerError):
    stage = "extract"
    code = "extract_failed"


class RelevanceSkip(WorkerError):
    """Not a failure: the entry scored under the feed's relevance threshold and is not rewritten."""

    stage = "relevance"
    code = "not_relevant"
    retryable = False


class RewriteError(WorkerError):
    stage = "rewrite"
    code = "rewrite_failed"


class GuardError(WorkerError):
    stage = "guards"
    code = "guard_failed"
