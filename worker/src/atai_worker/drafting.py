"""The AI path of one entry: relevance, length, prompt, rewrite, checks, second opinion, failure policy.

Every model call's tokens travel on the draft (Draft.usage, by purpose and model), also those of answers
thrown away, so the site prices each post at what it cost. When the model gives no usable draft, the feed's
failure policy decides (RunRequest.options.on_failure): hold the cleaned original for review (the default),
report an item error to be tried again later, or publish the cleaned original; the draft's findings say
which, so it is never silent. Endpoint failures (unreachable, refused key, rate limits) stay item errors.
"""

from __future__ import annotations

from collections.abc import Callable

from . import condense, guards, judge, prompts, relevance, tokens
from .endpoints import Endpoint
from .errors import GuardError, RelevanceSkip, RewriteError, WorkerError
from .models import Draft, Entry, Finding
from .rewrite import Rewriter, usage_of
from .sanitize import plain_text, sanitize_html

# Failures of the draft itself, which the feed's policy handles; the others are the endpoint's and are retried.
DRAFT_FAILURES = ("model_invalid_output", "model_output_cut", "article_too_long", "condense_failed",
                  "title_empty", "content_empty")
POLICIES = ("hold", "retry", "original")
DEFAULT_THRESHOLD = 50
# Room kept for the instructions and the answer's other fields when a long article is cut into parts.
PART_MARGIN = 1000
# Most condense calls one long article may take; a longer one is held (never sent).
MAX_PARTS = 4


class Drafting:
    """Writes one entry's AI draft; shared by the item threads of a consumer."""

    def __init__(self, rewriter: Rewriter):
        self.rewriter = rewriter

    def draft(self, entry: Entry, endpoint: Endpoint, options: dict, source_html: str, base: Draft,
              original: Draft, on_stage: Callable[[str], None] = lambda stage: None, retried: bool = False) -> Draft:
        """The checked AI draft of an entry, or the fallback its feed's policy asks for; WorkerError otherwise.

        base: the draft's fields that come from the entry; original: the cleaned original, for the policy;
        on_stage(stage) is told when the entry enters the sanitize and guards stages (their time budgets); a
        `retried` entry (its model call failed for a reason that will pass) waits for a model slot first.
        """
        calls: list[dict] = []
        verdict = None
        prompt, material = None, source_html
        try:
            if options.get("relevance") and (options.get("topic") or "").strip():
                verdict, call = relevance.score(self.rewriter, endpoint, entry, source_html, options["topic"])
                calls.append(call)
                threshold = options.get("relevance_threshold", DEFAULT_THRESHOLD)
                if verdict["score"] < threshold:
                    skip = RelevanceSkip(f"relevance: scored {verdict['score']} of 100 against the site's topic, "
                                         f"under the feed's threshold of {threshold} ({verdict['reason'] or 'no reason given'}); "
                                         "the entry is skipped, not rewritten")
                    skip.details.update(usage=usage_of(calls), relevance=verdict)
                    raise skip
            prompt, material = self._prompt(entry, endpoint, options, source_html, calls)
            rewritten = self.rewriter.rewrite(endpoint, entry, material, prompt=prompt, retried=retried)
            calls.extend(rewritten.calls)
            on_stage("sanitize")
            draft = base.replace(
                title=plain_text(rewritten.title),
                # The model's HTML is as hostile as the feed's.
                content=sanitize_html(rewritten.content, base_url=entry.base_url or entry.link),
                excerpt=" ".join(plain_text(rewritten.excerpt).split()),
                tags=rewritten.tags, rewritten=True, model=rewritten.model, prompt=prompt.record(),
                endpoint=endpoint.name)
            on_stage("guards")
            # The checks see the model's HTML before sanitizing, and why it stopped (a cut-off text is held).
            draft = guards.check_draft(draft, source_html, language=entry.language, raw_content=rewritten.content,
                                       finish_reason=rewritten.finish_reason)
            if options.get("second_opinion"):
                found, call = judge.second_opinion(self.rewriter, endpoint, source_html, draft.content,
                                                   endpoint.max_input_tokens)
                calls.append(call)
                draft = draft.replace(findings=draft.findings + tuple(found),
                                      hold=draft.hold or any(f.hold for f in found))
        except (RewriteError, GuardError) as exc:
            calls.extend(exc.details.pop("calls", ()))
            if isinstance(exc, GuardError):
                # The stored answer made no usable draft: trying the item again asks the model for a better one.
                self.rewriter.forget(endpoint, entry, material, prompt)
            if exc.code not in DRAFT_FAILURES:
                exc.details["usage"] = usage_of(calls)
                raise
            return self._fallback(exc, options, original, source_html, calls, verdict, endpoint)
        except WorkerError as exc:
            calls.extend(exc.details.pop("calls", ()))
            if calls and "usage" not in exc.details:
                exc.details["usage"] = usage_of(calls)
            raise
        return draft.replace(usage=usage_of(calls), relevance=verdict,
                             source_html=source_html if draft.hold or options.get("review") == "always" else None)

    def _prompt(self, entry: Entry, endpoint: Endpoint, options: dict, source_html: str,
                calls: list[dict]) -> tuple[prompts.Prompt, str]:
        """The prompt, and the article it carries: condensed first when it is over the input budget."""
        prompt = prompts.build(entry, source_html, options, options.get("source_name"))
        size = tokens.estimate(prompt.system + prompt.user)
        if size <= endpoint.max_input_tokens:
            return prompt, source_html
        too_long = (f"rewrite: the article is too long for one model request (about {size:,} tokens, over the "
                    f"limit of {endpoint.max_input_tokens:,} set by ATAI_AI_MAX_INPUT_TOKENS)")
        if options.get("long_articles") == "hold":
            raise RewriteError(too_long + "; the feed holds long articles for review", code="article_too_long")
        parts = tokens.split_html(source_html, max(500, endpoint.max_input_tokens - PART_MARGIN))
        if len(parts) > MAX_PARTS:
            # A bound on what one entry may cost: a page this long is not an article anyone asked to rewrite.
            raise RewriteError(too_long + f"; condensing it would take {len(parts)} model requests, more than "
                                          f"{MAX_PARTS}: it was not sent to the model", code="article_too_long")
        condensed, spent = condense.condense(self.rewriter, endpoint, parts)
        calls.extend(spent)
        prompt = prompts.build(entry, condensed, options, options.get("source_name"))
        size = tokens.estimate(prompt.system + prompt.user)
        if size > endpoint.max_input_tokens:
            raise RewriteError(too_long + f"; condensed, it is still about {size:,} tokens",
                               code="article_too_long")
        return prompt, condensed

    @staticmethod
    def _fallback(exc: WorkerError, options: dict, original: Draft, source_html: str, calls: list[dict],
                  verdict: dict | None, endpoint: Endpoint) -> Draft:
        """What the feed's failure policy makes of a rewrite that gave no usable draft."""
        policy = options.get("on_failure") if options.get("on_failure") in POLICIES else "hold"
        if policy == "retry":
            exc.details["usage"] = usage_of(calls)
            raise exc
        if policy == "hold":
            finding = Finding(exc.code, f"{exc.message}; the cleaned original waits for review instead "
                                        "(the feed's failure policy)", hold=True)
        else:
            finding = Finding(exc.code, f"{exc.message}; the cleaned original was published instead, with its "
                                        "source line (the feed's failure policy)")
        return original.replace(findings=original.findings + (finding,), hold=finding.hold,
                                usage=usage_of(calls), relevance=verdict, endpoint=endpoint.name,
                                source_html=source_html if finding.hold or options.get("review") == "always"
                                else None)
