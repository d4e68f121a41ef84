"""Place and country names → ISO 3166-1 codes, tolerant of how editors spell them.

Country names of the whole world, in English and Spanish, come from Babel (CLDR), so they
never go stale in our hands. ``gazetteer.json`` next to this module is our own data: cities
and states of the Americas, plus country spellings CLDR lacks. No I/O beyond reading that
packaged file.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

from babel import Locale

__all__ = ["Gazetteer", "Place", "load_gazetteer", "normalise_name"]

# CLDR territories that are not ISO 3166-1 countries: exceptionally reserved or
# user-assigned codes (Ascension, Clipperton, Sark, Diego Garcia, Ceuta & Melilla, Canary
# Islands, Tristan da Cunha), groupings (EU, Eurozone, UN, Outlying Oceania), pseudo-locales
# (XA, XB), Kosovo's provisional XK, and "Unknown Region".
_NON_COUNTRIES = frozenset(
    ["AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"]
)
_KINDS = frozenset({"city", "state"})
_LIST_WORDS = frozenset({"and", "y", "e"})


def normalise_name(value: str) -> str:
    """Fold a name for comparison: no accents, case, punctuation or extra spaces.

    Periods vanish ("EE.UU." = "EEUU"), "&" reads "and", and every other non-letter
    (hyphens, apostrophes U+00B4 U+2019 ', commas, NBSP) separates words, so "Cap-Haïtien" matches
    "cap haitien".
    """
    text = unicodedata.normalize("NFKD", value)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace(".", "").replace("&", " and ")
    return " ".join(re.findall(r"[^\W_]+", text))


@dataclass(frozen=True, slots=True)
class Place:
    """A known place: canonical English display name, ISO country code and kind."""

    name: str
    country: str
    kind: str  # "country" | "state" | "city"


class Gazetteer:
    """Immutable name index; build it with :func:`load_gazetteer` and :meth:`with_places`."""

    __slots__ = ("_countries", "_longest", "_names", "_places")

    def __init__(
        self,
        places: Mapping[str, Place],
        countries: Mapping[str, str],
        names: Mapping[str, Mapping[str, str]],
    ) -> None:
        self._places = MappingProxyType(dict(places))
        self._countries = MappingProxyType(dict(countries))
        self._names = MappingProxyType(dict(names))
        self._longest = max((k.count(" ") + 1 for k in self._places), default=1)

    def lookup(self, name: str) -> Place | None:
        """Find a place or country by any of its spellings; countries win over same-named cities."""
        return self._places.get(normalise_name(name))

    def country_code(self, value: str) -> str | None:
        """Resolve an ISO code ("sv") or a country name in English or Spanish to its code."""
        key = normalise_name(value)
        if len(key) == 2 and key.upper() in self._names:
            return key.upper()
        return self._countries.get(key)

    def country_name(self, code: str, lang: str = "en") -> str:
        """Name a country in ``lang`` (CLDR); English when CLDR has no such language.

        Raises:
            ValueError: ``code`` is not an ISO 3166-1 country code.
        """
        names = self._names.get(code.strip().upper())
        if names is None:
            raise ValueError(f"unknown country code {code!r}")
        if lang in names:
            return names[lang]
        try:
            return str(Locale.parse(lang).territories.get(code.strip().upper(), names["en"]))
        except (ValueError, TypeError):
            return names["en"]

    def suggest(self, value: str, n: int = 3) -> list[str]:
        """Did-you-mean: display names of the places and countries closest to ``value``."""
        key = normalise_name(value)
        if not key or n < 1:
            return []
        keys = sorted(self._places)
        found: list[str] = []
        for match in difflib.get_close_matches(key, keys, n=n * 4, cutoff=0.6):
            name = self._places[match].name
            if name not in found:
                found.append(name)
        return found[:n]

    def countries_in_title(self, title: str) -> tuple[str, ...]:
        """Codes of the countries a title starts with: "Honduras, Guatemala and El Salvador agree".

        Only a list at the very start counts; a city that begins with a country name
        ("Mexico City hosts…") stops the list, since the country is not what is named.
        """
        words = normalise_name(title).split()
        codes: list[str] = []
        i = 0
        while i < len(words):
            if codes and words[i] in _LIST_WORDS:
                i += 1
            size, code = self._country_at(words, i)
            if code is None:
                break
            if code not in codes:
                codes.append(code)
            i += size
        return tuple(codes)

    def _country_at(self, words: list[str], i: int) -> tuple[int, str | None]:
        """The longest name starting at ``words[i]``: (its length, its code if a country)."""
        for size in range(min(self._longest, len(words) - i), 0, -1):
            place = self._places.get(" ".join(words[i : i + size]))
            if place is not None:
                return size, place.country if place.kind == "country" else None
        return 0, None

    def with_places(self, extra: Mapping[str, str]) -> Gazetteer:
        """Add a site's own places (name → country code or name); they win over ours.

        Raises:
            ValueError: a country is unknown or a place name is empty.
        """
        places = dict(self._places)
        for name, country in extra.items():
            key = normalise_name(str(name))
            code = self.country_code(country) if isinstance(country, str) else None
            if not key:
                raise ValueError(f"the place name {name!r} has no letters")
            if code is None:
                near = self.suggest(str(country))
                hint = f" (did you mean {', '.join(near)}?)" if near else ""
                raise ValueError(f"unknown country {country!r} for place {name!r}{hint}")
            places[key] = Place(" ".join(str(name).split()), code, "city")
        return Gazetteer(places, self._countries, self._names)


@functools.cache
def load_gazetteer() -> Gazetteer:
    """Build the gazetteer from Babel and the packaged JSON, once per process."""
    text = resources.files("dateline.content").joinpath("gazetteer.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    names = _babel_names()
    countries: dict[str, str] = {}
    for lang in ("en", "es"):
        for code, by_lang in names.items():
            countries.setdefault(normalise_name(by_lang[lang]), code)
            countries.setdefault(normalise_name(by_lang[lang].split("(")[0]), code)
    for alias, code in data["country_aliases"].items():
        _check_code(code, names, alias)
        countries.setdefault(normalise_name(alias), code)
    places = _json_places(data["places"], names)
    places.update({k: Place(names[c]["en"], c, "country") for k, c in countries.items()})
    return Gazetteer(places, countries, names)


def _babel_names() -> dict[str, dict[str, str]]:
    en, es = Locale("en").territories, Locale("es").territories
    return {
        code: {"en": str(en[code]), "es": str(es.get(code, en[code]))}
        for code in sorted(en)
        if len(code) == 2 and code.isalpha() and code not in _NON_COUNTRIES
    }


def _json_places(rows: Iterable[dict[str, Any]], names: Mapping[str, object]) -> dict[str, Place]:
    """Index every spelling of every JSON place; two places may not share a spelling."""
    places: dict[str, Place] = {}
    for row in rows:
        place = Place(row["name"], row["country"], row["kind"])
        _check_code(place.country, names, place.name)
        if place.kind not in _KINDS:
            raise ValueError(f"gazetteer.json: {place.name!r} has unknown kind {place.kind!r}")
        for spelling in (place.name, *row.get("aliases", ())):
            key = normalise_name(spelling)
            if places.get(key, place) != place:
                raise ValueError(f"gazetteer.json: {spelling!r} names two places")
            places[key] = place
    return places


def _check_code(code: str, names: Mapping[str, object], what: str) -> None:
    if code not in names:
        raise ValueError(f"gazetteer.json: {what!r} has unknown country code {code!r}")
