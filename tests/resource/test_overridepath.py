"""The override path grammar: Eno's accepted forms, its rejections, and the parse/print round trip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.resource.overridepath import (
    Index,
    Key,
    Matcher,
    PathExpr,
    PathSyntaxError,
    Wildcard,
    format_path,
    parse_path,
)

PARSES = [
    ("dotted", "self.a.b", (Key("a"), Key("b"))),
    ("double-quoted-key", 'self["k-1"]', (Key("k-1"),)),
    ("single-quoted-key", "self['k-1']", (Key("k-1"),)),
    (
        "quoted-key-with-dots-and-slashes",
        'self.metadata.annotations["eno.azure.io/replace"]',
        (Key("metadata"), Key("annotations"), Key("eno.azure.io/replace")),
    ),
    ("index", "self.list[2]", (Key("list"), Index(2))),
    ("wildcard", "self.list[*]", (Key("list"), Wildcard())),
    ("matcher-double", 'self.list[name="x"].y', (Key("list"), Matcher("name", "x"), Key("y"))),
    ("matcher-single", "self.c[name='foo'].cpu", (Key("c"), Matcher("name", "foo"), Key("cpu"))),
    (
        "matcher-escaped-quote",
        r'self.foo[name="test-\"-1"].bar',
        (Key("foo"), Matcher("name", 'test-"-1'), Key("bar")),
    ),
    ("escaped-single-quote", r"self['it\'s']", (Key("it's"),)),
    ("other-backslashes-stay", r'self["a\nb"]', (Key(r"a\nb"),)),
    ("other-quote-stays-escaped", r"""self['a\"b']""", (Key(r"a\"b"),)),
    ("leading-dot", ".self.foo", (Key("foo"),)),
    ("duplicate-dots", "self..foo", (Key("foo"),)),
    ("space-separates-like-dot", "self foo", (Key("foo"),)),
    ("whitespace-between-tokens", 'self . a [ 0 ] [ k = "v" ]', (Key("a"), Index(0), Matcher("k", "v"))),
    ("chained-brackets", 'self["foo"]["bar"]', (Key("foo"), Key("bar"))),
    ("root-only", "self", ()),
    ("self-as-later-key", "self.self", (Key("self"),)),
    ("big-index", "self.l[9001]", (Key("l"), Index(9001))),
]


@pytest.mark.parametrize(("text", "segments"), [p[1:] for p in PARSES], ids=[p[0] for p in PARSES])
def test_parse(text: str, segments: tuple[object, ...]) -> None:
    assert parse_path(text) == PathExpr(segments)  # type: ignore[arg-type]


REJECTS = [
    ("empty", "", "must start with `self.`"),
    ("not-self", "foo.bar", "must start with `self.`"),
    ("bracket-first", '["self"]', "must start with `self.`"),
    ("trailing-dot", "self.", "ends with '.'"),
    ("negative-index", "self.foo[-1]", "unexpected character '-'"),
    ("unquoted-matcher-value", "self.foo[name=x]", "quoted matcher value"),
    ("matcher-without-value", "self[name]", "'='"),
    ("unterminated-string", 'self["abc', "unterminated string"),
    ("unclosed-bracket", "self.a[0", "']'"),
    ("empty-brackets", "self.a[]", "after '['"),
    ("int-section", "self.a.0", "unexpected '0'"),
    ("stray-equals", "self=foo", "unexpected '='"),
    ("unicode-garbage", "self.ä", "unexpected character"),
]


@pytest.mark.parametrize(("text", "message"), [r[1:] for r in REJECTS], ids=[r[0] for r in REJECTS])
def test_reject(text: str, message: str) -> None:
    with pytest.raises(PathSyntaxError, match=None) as info:
        parse_path(text)
    assert message in str(info.value)


PRINTS = [
    ("identifiers-dotted", "self['a'][\"b\"]", "self.a.b"),
    ("non-identifier-key-quoted", "self['k-1']", 'self["k-1"]'),
    ("quote-escaped", "self['a\"b']", r'self["a\"b"]'),
    ("matcher-double-quoted", "self.l[k='v']", 'self.l[k="v"]'),
    ("whitespace-dropped", "self . a [ * ] [ 3 ]", "self.a[*][3]"),
]


@pytest.mark.parametrize(("text", "printed"), [p[1:] for p in PRINTS], ids=[p[0] for p in PRINTS])
def test_format(text: str, printed: str) -> None:
    assert format_path(parse_path(text)) == printed
    assert str(parse_path(text)) == printed


# Keys never hold a backslash here: Eno's unquoting keeps escapes other than the delimiter's, so some
# backslash sequences have no spelling at all (and Kubernetes keys cannot hold backslashes anyway).
_keys = st.text(st.characters(exclude_characters="\\", exclude_categories=["Cs"]), max_size=12)
_segments = st.one_of(
    st.builds(Key, _keys),
    st.builds(Index, st.integers(min_value=0, max_value=10**12)),
    st.just(Wildcard()),
    st.builds(Matcher, st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,8}", fullmatch=True), _keys),
)
_paths = st.builds(PathExpr, st.lists(_segments, max_size=8).map(tuple))


@given(_paths)
def test_print_then_parse_round_trips(path: PathExpr) -> None:
    assert parse_path(format_path(path)) == path


_path_texts = st.text(alphabet=st.sampled_from(list("self.[]*=\"'\\ ab_09-")), max_size=30)


@given(_path_texts)
def test_any_text_parses_to_a_fixed_point_or_is_rejected(text: str) -> None:
    # Whatever parses prints to a canonical text that parses to the same path.
    try:
        path = parse_path(text)
    except PathSyntaxError:
        return
    assert parse_path(format_path(path)) == path
