"""render._memoise_gettext: a translated string is looked up once, and reads the same."""

from __future__ import annotations

import gettext

import jinja2
from hypothesis import given
from hypothesis import strategies as st

from dateline.render import _memoise_gettext

TEMPLATE = """\
{{ _(s) }}|{{ _(s)|e }}|{{ _(s) ~ "<" }}|{{ _("%(n)s of " ~ s, n=n) }}|{{ _(s) }}
{% autoescape false %}{{ _(s) }}|{{ _(s)|e }}|{{ _(s) ~ "<" }}{% endautoescape %}
"""


class Marked(gettext.NullTranslations):
    """A catalogue that changes every string, so a missed translation shows."""

    def gettext(self, message: str) -> str:
        return f"»{message}«"


def environment(memoised: bool) -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(Marked(), newstyle=True)  # type: ignore[attr-defined]
    if memoised:
        _memoise_gettext(env)
    return env


PLAIN, MEMOISED = environment(False), environment(True)


@given(st.text(st.sampled_from("ab <>&'\"%()s"), max_size=12), st.integers(0, 3))
def test_memoised_gettext_renders_what_jinjas_does(message: str, number: int) -> None:
    plain = PLAIN.from_string(TEMPLATE)
    memoised = MEMOISED.from_string(TEMPLATE)
    try:
        expected = plain.render(s=message, n=number)
    except (TypeError, ValueError, KeyError) as exc:  # a stray "%" is an error in both
        try:
            memoised.render(s=message, n=number)
        except type(exc):
            return
        raise AssertionError(f"no {type(exc).__name__} for {message!r}") from None
    assert memoised.render(s=message, n=number) == expected
    assert memoised.render(s=message, n=number) == expected  # again, from the memo
