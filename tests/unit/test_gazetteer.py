"""Gazetteer: tolerant place and country lookup, did-you-mean, titles, site additions."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dateline.content.gazetteer import Gazetteer, Place, load_gazetteer, normalise_name

GAZ = load_gazetteer()
CENTRAL_AMERICA = {
    "BZ": ("Belize", "Belice"),
    "CR": ("Costa Rica", "Costa Rica"),
    "GT": ("Guatemala", "Guatemala"),
    "HN": ("Honduras", "Honduras"),
    "MX": ("Mexico", "México"),
    "NI": ("Nicaragua", "Nicaragua"),
    "PA": ("Panama", "Panamá"),
    "SV": ("El Salvador", "El Salvador"),
}


def test_loader_is_cached() -> None:
    """One gazetteer per process."""
    assert load_gazetteer() is GAZ


@pytest.mark.parametrize("code", sorted(CENTRAL_AMERICA))
def test_central_american_names_resolve(code: str) -> None:
    """English and Spanish names, with or without accents, in any case, give the code."""
    for name in CENTRAL_AMERICA[code]:
        plain = name.replace("é", "e").replace("á", "a")
        for variant in (name, plain, name.upper(), plain.lower(), f"\u00a0{name}. "):
            assert GAZ.country_code(variant) == code, variant
            place = GAZ.lookup(variant)
            assert place is not None
            assert place.country == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("SV", "SV"),
        ("sv", "SV"),
        ("El Salvador", "SV"),
        ("el salvador", "SV"),
        ("México", "MX"),
        ("Mexico", "MX"),
        ("Estados Unidos", "US"),
        ("United States", "US"),
        ("USA", "US"),
        ("EE.UU.", "US"),
        ("EEUU", "US"),
        ("Estados Unidos de América", "US"),
        ("Dominican Rep.", "DO"),
        ("República Dominicana", "DO"),
        ("Republica Dominicana", "DO"),
        ("Haití", "HT"),
        ("Haiti", "HT"),
        ("Perú", "PE"),
        ("Brasil", "BR"),
        ("NO", "NO"),
        ("Norway", "NO"),
        ("Noruega", "NO"),
        ("Trinidad and Tobago", "TT"),
        ("Trinidad & Tobago", "TT"),
        ("Cote d'Ivoire", "CI"),
        ("Myanmar", "MM"),
    ],
)
def test_country_code(value: str, code: str) -> None:
    """Codes, English and Spanish names and common alternates all resolve."""
    assert GAZ.country_code(value) == code


@pytest.mark.parametrize("value", ["XX", "ZZ", "EU", "UN", "Atlantis", "", "Mexico City"])
def test_unknown_country_is_none(value: str) -> None:
    """Non-countries and places are not countries."""
    assert GAZ.country_code(value) is None


def test_country_name() -> None:
    """Names come from CLDR in the requested language."""
    assert GAZ.country_name("MX", "en") == "Mexico"
    assert GAZ.country_name("MX", "es") == "México"
    assert GAZ.country_name("mx") == "Mexico"
    assert GAZ.country_name("NO", "fr") == "Norvège"
    with pytest.raises(ValueError, match="XX"):
        GAZ.country_name("XX")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ciudad de México", Place("Mexico City", "MX", "city")),
        ("Ciudad de Mexico", Place("Mexico City", "MX", "city")),
        ("Mexico City", Place("Mexico City", "MX", "city")),
        ("CDMX", Place("Mexico City", "MX", "city")),
        ("Panama City", Place("Panama City", "PA", "city")),
        ("Ciudad de Panamá", Place("Panama City", "PA", "city")),
        ("Panamá", Place("Panama", "PA", "country")),
        ("SAN\u00a0 SALVADOR.", Place("San Salvador", "SV", "city")),
        ("Tecun Uman", Place("Tecún Umán", "GT", "city")),
        ("Cap Haitien", Place("Cap-Haïtien", "HT", "city")),
        ("La Habana", Place("Havana", "CU", "city")),
        ("Guatemala City", Place("Guatemala City", "GT", "city")),
        ("Chiapas", Place("Chiapas", "MX", "state")),
        ("Nuevo Leon", Place("Nuevo León", "MX", "state")),
        ("Santa Ana", Place("Santa Ana", "SV", "city")),
        ("San Jose", Place("San José", "CR", "city")),
        ("O´Higgins", None),
    ],
)
def test_lookup(name: str, expected: Place | None) -> None:
    """Lookups ignore case, accents, NBSP and punctuation, and know Spanish names."""
    assert GAZ.lookup(name) == expected


@pytest.mark.parametrize(
    "name",
    ["Tapachula", "Tijuana", "Ciudad Juárez", "Tenosique", "Palenque", "La Ceiba", "San Pedro Sula",
     "Choloma", "Quetzaltenango", "Tecún Umán", "Esquipulas", "San Miguel", "La Libertad",
     "Puntarenas", "Paso Canoas", "Upala", "David", "Darién", "Colón", "Bocas del Toro",
     "Kingston", "Montego Bay", "Port-au-Prince", "Santo Domingo", "Havana", "Bogotá", "Cúcuta",
     "Caracas", "Quito", "Lima", "Tumbes", "La Paz", "Santiago", "Buenos Aires", "Brasília",
     "São Paulo", "Boa Vista", "Manaus", "Georgetown", "Paramaribo", "Belmopan", "Belize City",
     "Managua", "Tegucigalpa", "Ciudad de Guatemala", "Washington", "New York", "Miami",
     "Houston", "Los Angeles", "El Paso", "McAllen", "Toronto", "Ottawa", "Montreal", "Oaxaca",
     "Guerrero", "Tabasco", "Veracruz", "Baja California", "Chihuahua", "Quintana Roo", "Cortés",
     "Atlántida", "Olancho", "Petén", "Huehuetenango", "Escuintla", "Alajuela", "Guanacaste",
     "Limón", "Chiriquí"],
)  # fmt: skip
def test_migration_route_places_are_known(name: str) -> None:
    """The places that recur in the region's migration news are all in the data."""
    place = GAZ.lookup(name)
    assert place is not None
    assert place.kind in {"city", "state"}


def test_json_data_is_consistent() -> None:
    """Every JSON place has a known country, a kind and a name that resolves to itself."""
    text = resources.files("dateline.content").joinpath("gazetteer.json").read_text("utf-8")
    data = json.loads(text)
    assert len(data["places"]) > 300
    for row in data["places"]:
        assert row["kind"] in {"city", "state"}
        place = GAZ.lookup(row["name"])
        assert place is not None, row["name"]
        if place.kind != "country":
            assert place.name == row["name"]
        assert GAZ.country_name(row["country"])
    for alias, code in data["country_aliases"].items():
        assert GAZ.country_code(alias) == code


def test_suggest() -> None:
    """Typos get a did-you-mean with display names; nonsense gets nothing."""
    assert GAZ.suggest("Hondras")[0] == "Honduras"
    assert "Tapachula" in GAZ.suggest("Tapachla")
    assert "Guatemala" in GAZ.suggest("Guatamala")
    assert GAZ.suggest("Hondras", n=1) == ["Honduras"]
    assert GAZ.suggest("qqqqqqqq") == []
    assert GAZ.suggest("") == []
    assert GAZ.country_code("Hondras") is None


@pytest.mark.parametrize(
    ("title", "codes"),
    [
        ("Guatemala: new Guidelines for the Immediate Response Team", ("GT",)),
        ("Honduras Strengthens Mechanisms for Fighting Trafficking in Persons", ("HN",)),
        ("Honduras, Guatemala and El Salvador agree on a plan", ("HN", "GT", "SV")),
        ("El Salvador y Guatemala firman un acuerdo", ("SV", "GT")),
        ("México, Guatemala y Honduras", ("MX", "GT", "HN")),
        ("Migratory Police of Costa Rica attends first workshop", ()),
        ("Mesoamerican countries strengthen protection of migrants", ()),
        ("Costa Rican police trained", ()),
        ("Mexico City hosts a regional meeting", ()),
        ("IOM, ICRC and MSF in Mexico City organize the first workshop", ()),
        ("", ()),
    ],
)
def test_countries_in_title(title: str, codes: tuple[str, ...]) -> None:
    """Only countries named at the very start of a title count."""
    assert GAZ.countries_in_title(title) == codes


def test_with_places_adds_and_overrides() -> None:
    """Site places win over ours, accept codes or names, and leave the original untouched."""
    site = GAZ.with_places({"Santa Ana": "CR", "Villa Esperanza": "Honduras", "Granada": "ni"})
    assert site.lookup("santa ana") == Place("Santa Ana", "CR", "city")
    assert site.lookup("Villa Esperanza") == Place("Villa Esperanza", "HN", "city")
    assert site.lookup("Granada") == Place("Granada", "NI", "city")
    assert site.country_code("Granada") == "GD"  # still the country Grenada in Spanish
    assert GAZ.lookup("Santa Ana") == Place("Santa Ana", "SV", "city")
    assert GAZ.lookup("Villa Esperanza") is None
    assert isinstance(site, Gazetteer)


def test_with_places_rejects_unknown_country() -> None:
    """A bad country in config names the value and suggests a fix."""
    with pytest.raises(ValueError, match="Hondras") as info:
        GAZ.with_places({"La Villa": "Hondras"})
    assert "Honduras" in str(info.value)
    with pytest.raises(ValueError, match="no letters"):
        GAZ.with_places({" - ": "HN"})


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ciudad de México", "ciudad de mexico"),
        ("EE.UU.", "EEUU"),
        ("O´Higgins", "O'Higgins"),
        ("O’Higgins", "O'Higgins"),
        ("San\u00a0  José.", "san jose"),
        ("Cap-Haïtien", "Cap Haitien"),
    ],
)
def test_normalise_name(a: str, b: str) -> None:
    """Accents, case, periods, apostrophe styles, hyphens and spacing do not matter."""
    assert normalise_name(a) == normalise_name(b)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_never_raises_on_text(text: str) -> None:
    """Lookups, suggestions and title scans accept any text."""
    GAZ.lookup(text)
    GAZ.country_code(text)
    GAZ.countries_in_title(text)
    assert len(GAZ.suggest(text)) <= 3
    assert normalise_name(normalise_name(text)) == normalise_name(text)
