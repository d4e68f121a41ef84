"""Datelines: the house styles of real bulletins, sentences that only look like them, properties."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dateline.content.datelines import Dateline, split_dateline
from dateline.content.gazetteer import load_gazetteer

GAZ = load_gazetteer()

# The ten leads of the seed digest, byte for byte (NBSPs and dashes included).
SEED_LEADS = [
    (
        "Mexico City\xa0-\xa0 The United Nations Organization for Migration (IOM), in "
        "collaboration with the International Committee of the Red Cross (ICRC) "
        "and Doctors Without Borders (MSF) held a Workshop on Psychosocial "
        "Support in the Context of Migration, directed towards public officials, "
        "civil society organizations, and shelters staff, in Mexico City, from "
        "June 13-14, 2018.",
        ("Mexico City", "MX"),
    ),
    (
        "Mexico City\xa0- 32 officials from 10 countries that form the Regional "
        "Conference on Migration (RCM), met on June 6 and 7 to strengthen their "
        "capacities and exchange experiences on the protection of migrants in "
        "countries affected by natural disasters.",
        ("Mexico City", "MX"),
    ),
    (
        "Thousands of buildings in the Southern Mexican state of Oaxaca were "
        "destroyed by a powerful 8.1 magnitude earthquake in September 2017. At "
        "least 98 people lost their lives nationwide. A week later, Hurricane "
        "Max caused large waves, floods, mudslides and sinkholes in the state of "
        "Guerrero.",
        None,
    ),
    (
        "San Salvador\xa0\u2013 How do you recognize a victim of human trafficking? What "
        "medical and psychological first aid should a victim of this crime or a "
        "vulnerable migrant receive? To which authorities should you report "
        "cases of violation of migrants' human rights?",
        ("San Salvador", "SV"),
    ),
    (
        "Honduras.\xa0In order to strengthen mechanisms for preventing and "
        "prosecuting the crime of\xa0trafficking in persons, IOM\u2014the United "
        "Nations' Migration Organization\u2014 supported the Local Committee of the "
        "Inter-Institutional Commission against Commercial Sexual Exploitation "
        "and Trafficking in Persons (CICECST), in the city of La Ceiba in "
        "northern Honduras to conduct a workshop for its members.",
        ("Honduras", "HN"),
    ),
    (
        "Guatemala.\xa0The United Nations' Organization for Migration (IOM) "
        "presented copies of the\xa0Guidelines for the Immediate Response Team of "
        "the Inter-institutional Committee against Trafficking, with the goal of "
        "optimizing government assistance to victims of this crime.",
        ("Guatemala", "GT"),
    ),
    (
        "Mexico.\xa0The Secretariat of Health, Health Jurisdiction VII of "
        "Tapachula, Doctors of the Word France (MdM), and the United Nations' "
        "Organization for Migration (IOM) held on May 4, 2018 the third session "
        "of a presentation of the Health Care Flowchart for Migrants, developed "
        "in Chiapas.\xa0 This tool aims to strengthen migrants\u2019 health care access.",
        ("Mexico", "MX"),
    ),
    (
        "Costa Rica. On May 14, 2018, the Costa Rican Migration Police Staff "
        "attended their first training on first aid and psychosocial support for "
        "migrants. The Police staff is currently working in the Migrant Centers "
        "installed in the country, and at the airports. This initiative was "
        "implemented as part of a training week put on by IOM along with the "
        "Professional Migration Police and the Red Cross.",
        ("Costa Rica", "CR"),
    ),
    (
        "Costa Rica. With the support of the United Nations' Organization for "
        "Migration (IOM) and of civil society organizations, this year Second "
        "Meeting of the Regional\xa0Coalition\xa0Against Trafficking in Persons and "
        "Smuggling of Migrants was held from May 21 to 23, with representatives "
        "from Mexico, Belize, Guatemala, El Salvador, Honduras, Nicaragua, Costa "
        "Rica, Panama, and the Dominican Republic. The country representatives "
        "shared experiences, received training, and reached agreements on an "
        "action plan for a comprehensive approach through assistance, "
        "prevention, and information on these crimes.",
        ("Costa Rica", "CR"),
    ),
    (
        "Mexico.\xa0Maria* is a young Honduran woman who left her country with her "
        "two children, with no plans, no money, and no clear path, but "
        "determined to take a train north. After several days of walking and "
        "enduring the poor typical conditions along irregular migration routes "
        "in Central America, Maria arrived in Palenque, in the Mexican state of "
        "Chiapas, and visited the Migration Information Center there, where she "
        "received information about the risks of irregular migration, human "
        "rights protection, and options for regularization, which changed her "
        "mind.",
        ("Mexico", "MX"),
    ),
]


@pytest.mark.parametrize(("lead", "expected"), SEED_LEADS)
def test_seed_leads(lead: str, expected: tuple[str, str] | None) -> None:
    """Each real lead yields its place and country, and the text keeps every other byte."""
    found, rest = split_dateline(lead, GAZ)
    if expected is None:
        assert found is None
        assert rest == lead
        return
    assert found is not None
    assert (found.place, found.countries) == (expected[0], (expected[1],))
    assert found.raw + rest == lead
    assert rest[0].isupper() or rest[0].isdigit()


@pytest.mark.parametrize(
    ("lead", "place", "countries", "raw"),
    [
        (
            "Mexico City\u00a0-\u00a0 The United",
            "Mexico City",
            ("MX",),
            "Mexico City\u00a0-\u00a0 ",
        ),
        ("Mexico City\u00a0- 32 officials", "Mexico City", ("MX",), "Mexico City\u00a0- "),
        (
            "San Salvador\u00a0\u2013 How do you",
            "San Salvador",
            ("SV",),
            "San Salvador\u00a0\u2013 ",
        ),
        ("Honduras.\u00a0In order to", "Honduras", ("HN",), "Honduras.\u00a0"),
        ("Guatemala.\u00a0The United", "Guatemala", ("GT",), "Guatemala.\u00a0"),
        ("Mexico.\u00a0Maria* is", "Mexico", ("MX",), "Mexico.\u00a0"),
        ("Costa Rica. On May 14", "Costa Rica", ("CR",), "Costa Rica. "),
        ("San Jose, Costa Rica. The", "San Jose, Costa Rica", ("CR",), "San Jose, Costa Rica. "),
        (
            "Tapachula, Mexico, March 3, 2020. The",
            "Tapachula, Mexico",
            ("MX",),
            "Tapachula, Mexico, March 3, 2020. ",
        ),
        (
            "San Pedro Sula, Honduras The",
            "San Pedro Sula, Honduras",
            ("HN",),
            "San Pedro Sula, Honduras ",
        ),
        ("Santa Ana, May 2, 2019.- The", "Santa Ana", ("SV",), "Santa Ana, May 2, 2019.- "),
        (
            "Ciudad de Panam\u00e1 3 de mayo de 2020.- El",
            "Ciudad de Panam\u00e1",
            ("PA",),
            "Ciudad de Panam\u00e1 3 de mayo de 2020.- ",
        ),
        ("October 2, Kingston - The", "Kingston", ("JM",), "October 2, Kingston - "),
        (
            "GUATEMALA CITY (IOM) \u2014 The",
            "GUATEMALA CITY",
            ("GT",),
            "GUATEMALA CITY (IOM) \u2014 ",
        ),
        (
            "Tegucigalpa, 5 de marzo de 2020 \u2013 La",
            "Tegucigalpa",
            ("HN",),
            "Tegucigalpa, 5 de marzo de 2020 \u2013 ",
        ),
        ("Managua: The", "Managua", ("NI",), "Managua: "),
        ("Managua\u2014The", "Managua", ("NI",), "Managua\u2014"),
        ("Managua -- The", "Managua", ("NI",), "Managua -- "),
        ("Managua--The", "Managua", ("NI",), "Managua--"),
        ("Port-au-Prince - The", "Port-au-Prince", ("HT",), "Port-au-Prince - "),
        ("Tapachula, Chiapas - The", "Tapachula, Chiapas", ("MX",), "Tapachula, Chiapas - "),
        ("Liberia, Costa Rica. The", "Liberia, Costa Rica", ("CR",), "Liberia, Costa Rica. "),
        ("  \u00a0Managua \u2013 The", "Managua", ("NI",), "Managua \u2013 "),
        (
            "Villa Hermosa Nueva \u2013 The",
            "Villa Hermosa Nueva",
            (),
            "Villa Hermosa Nueva \u2013 ",
        ),
        (
            "SAN JUAN DEL RIO (AFP) \u2014 The",
            "SAN JUAN DEL RIO",
            (),
            "SAN JUAN DEL RIO (AFP) \u2014 ",
        ),
        (
            "Villa Esperanza, May 2, 2019.- El",
            "Villa Esperanza",
            (),
            "Villa Esperanza, May 2, 2019.- ",
        ),
    ],
)
def test_house_styles(lead: str, place: str, countries: tuple[str, ...], raw: str) -> None:
    """Every house style gives the place as written, its countries and the exact prefix."""
    found, rest = split_dateline(lead, GAZ)
    assert found == Dateline(place, countries, raw)
    assert lead.lstrip() == raw + rest


@pytest.mark.parametrize(
    "lead",
    [
        "Thousands of buildings in the Southern Mexican state of Oaxaca were destroyed by a quake.",
        "Maria* is a young Honduran woman who left her country.",
        "In 2019, more than 300,000 people crossed the border.",
        "The Government of Mexico - together with IOM - announced a plan.",
        "Dr. Smith said the clinic would open.",
        "Dr. Ruiz - The director - said.",
        "Mr. Smith \u2013 Director of the shelter \u2013 said.",
        "U.S. officials said on Monday.",
        "U.S. Officials said on Monday.",
        "EE.UU. anunci\u00f3 un programa.",
        "IOM \u2013 the UN Migration Agency \u2013 said.",
        "IOM \u2013 The UN Migration Agency \u2013 said.",
        "UNHCR - The refugee agency said.",
        "Note: The workshop was postponed.",
        "On May 14, 2018, the police attended a training.",
        "Honduras, Guatemala and El Salvador agree on a plan.",
        "Honduras, Guatemala Sign An Agreement.",
        "Mexico. ",
        "Managua \u2013 ",
        "Costa Rica. on the border",
        "Mexico City is the largest city.",
        "",
        "   ",
    ],
)
def test_not_datelines(lead: str) -> None:
    """Sentences, names, abbreviations and acronyms are left alone."""
    found, rest = split_dateline(lead, GAZ)
    assert found is None
    assert rest == lead.lstrip()


def test_site_places_make_datelines() -> None:
    """A place a site adds in config is recognised, with its country."""
    site = GAZ.with_places({"Villa Esperanza": "HN"})
    found, _ = split_dateline("Villa Esperanza. The mayor", site)
    assert found == Dateline("Villa Esperanza", ("HN",), "Villa Esperanza. ")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_and_keeps_the_text(lead: str) -> None:
    """Any text: no exception, the rest is a suffix of the lead, raw + rest is the lead."""
    found, rest = split_dateline(lead, GAZ)
    assert lead.endswith(rest)
    if found is None:
        assert rest == lead.lstrip()
    else:
        assert found.raw + rest == lead.lstrip()
        assert found.raw.startswith(found.place)


@settings(max_examples=150, deadline=None)
@given(
    st.from_regex(r"[A-Z][a-z]{0,8}( [A-Za-z]{1,8}){0,4}[ \-\u2013\u2014:.,]{0,3}", fullmatch=True)
)
def test_dateline_like_noise(lead: str) -> None:
    """Short capitalised fragments with separators never break the invariants."""
    found, rest = split_dateline(lead + " Text follows.", GAZ)
    assert (found.raw if found else "") + rest == (lead + " Text follows.").lstrip()


def _known_places() -> list[str]:
    text = resources.files("dateline.content").joinpath("gazetteer.json").read_text("utf-8")
    names = [row["name"] for row in json.loads(text)["places"]]
    names += ["Belize", "Belice", "Costa Rica", "El Salvador", "Guatemala", "Honduras", "Mexico"]
    names += ["M\u00e9xico", "Nicaragua", "Panama", "Panam\u00e1", "Ciudad de M\u00e9xico"]
    return sorted(n for n in names if not set(n) & set(".,()&") and GAZ.lookup(n) is not None)


SEPARATORS = [" - ", "- ", " -", " \u2013 ", "\u2013", " \u2014", "\u2014 ", "\u2014", " -- ", "--",
              ".- ", ".-", ": ", ":", ". ", ".  "]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(_known_places()),
    st.sampled_from(SEPARATORS),
    st.lists(st.booleans(), min_size=4, max_size=4),
    st.from_regex(r"[A-Z\u00c1\u00c91-9][a-z\u00f1\u00e1 ,.]{0,40}", fullmatch=True),
)
def test_generated_datelines(place: str, sep: str, nbsp: list[bool], sentence: str) -> None:
    """ "{known place}{separator}{sentence}" gives back the place and the sentence."""
    spaces = iter(nbsp * 4)
    sep = "".join("\u00a0" if c == " " and next(spaces) else c for c in sep)
    found, rest = split_dateline(f"{place}{sep}{sentence}", GAZ)
    assert found is not None
    assert found.place == place
    assert found.countries == (GAZ.lookup(place).country,)  # type: ignore[union-attr]
    assert rest == sentence
