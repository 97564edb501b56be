import pytest

from reliefplan._errors import InputError
from reliefplan.standards import available_profiles, load_standards


def test_profiles_available():
    assert {"sphere-2018", "unhcr-emergency"} <= set(available_profiles())


@pytest.mark.parametrize("profile", ["sphere-2018", "unhcr-emergency"])
def test_every_figure_has_provenance(profile):
    std = load_standards(profile)
    assert len(std.figures) >= 30
    for key, f in std.figures.items():
        assert f.source and f.chapter and f.edition and f.unit, key
        assert f.value >= 0


def test_sphere_headline_figures():
    std = load_standards("sphere-2018")
    assert std.value("water_l_per_person_day") == 15
    assert std.value("people_per_tap") == 250
    assert std.value("people_per_latrine_acute") == 50
    assert std.value("people_per_latrine") == 20
    assert std.value("latrine_female_share") == 0.75
    assert std.value("covered_area_m2_per_person") == 3.5
    assert std.value("site_area_m2_per_person") == 45
    assert std.value("kcal_per_person_day") == 2100
    assert std.figure("people_per_health_post").verified is False  # flagged "verify" in STANDARDS.md
    basket = std.ration_basket
    assert basket.kg_per_person_day == pytest.approx(0.555)
    # 400*3.5 + 60*3.35 + 25*8.85 + 50*3.8 + 15*4 + 0 = 2072.25 kcal
    assert basket.kcal_per_person_day == pytest.approx(2072.25)


def test_unhcr_extends_sphere_and_keeps_provenance():
    u, s = load_standards("unhcr-emergency"), load_standards("sphere-2018")
    assert u.value("water_l_per_person_day") == 20
    assert u.value("max_distance_to_water_m") == 100
    assert u.figure("site_area_m2_per_person") == s.figure("site_area_m2_per_person")


def test_overrides_apply_and_are_marked():
    std = load_standards("sphere-2018", {"water_l_per_person_day": 20})
    f = std.figure("water_l_per_person_day")
    assert f.value == 20 and f.overridden and "override" in f.source


def test_bad_overrides_all_reported():
    with pytest.raises(InputError) as e:
        load_standards("sphere-2018", {"no_such_figure": 1, "people_per_tap": -5})
    assert len(e.value.problems) == 2
    assert "no_such_figure" in str(e.value) and "expected a number > 0" in str(e.value)


def test_unknown_profile():
    with pytest.raises(InputError, match="unknown standards profile"):
        load_standards("sphere-1997")


_URL_OR_YEAR = __import__("re").compile(r"https?://\S+|\b(19|20)\d\d\b")


@pytest.mark.parametrize("profile", ["sphere-2018", "unhcr-emergency"])
def test_sources_are_citations_a_reader_can_follow(profile):
    """Every source names a publication with its year or address (or says ASSUMPTION, or that its edition is not
    identified); none is a path into the repository's surroundings; every unverified figure says where it was
    checked or why it could not be."""
    std = load_standards(profile)
    texts = [(k, f.source, f.chapter, f.checked) for k, f in std.figures.items()]
    texts += [
        ("ration_basket", std.ration_basket.source, "", std.ration_basket.checked),
        ("energy_requirements", std.energy_requirements.source, "", std.energy_requirements.checked),
    ]
    for key, source, chapter, checked in texts:
        for t in (source, chapter, checked):
            assert "../" not in t and "shared/" not in t and "STANDARDS.md" not in t, (key, t)
        assert source.startswith("ASSUMPTION") or _URL_OR_YEAR.search(source) or "edition not identified" in source, (
            key,
            source,
        )
    for key, f in std.figures.items():
        if not f.verified:
            assert f.checked, key
    ration = std.ration_basket
    assert ration.verified or ration.checked


def test_unhcr_figures_checked_against_the_1999_handbook_text():
    u = load_standards("unhcr-emergency")
    for key, para in (("max_distance_to_water_m", "para. 63"), ("people_per_latrine", "para. 62")):
        f = u.figure(key)
        assert f.verified and para in f.chapter and "nzdl.org" in f.source and f.checked.startswith("Checked"), key
    # values are the handbook's, unchanged by the check
    assert (u.value("max_distance_to_water_m"), u.value("people_per_latrine")) == (100, 5)


def test_commodity_sources_are_citations():
    from importlib import resources

    import yaml

    data = yaml.safe_load((resources.files("reliefplan") / "data" / "commodities.yaml").read_text())
    texts = [data["priority_source"]] + [v for c in data["commodities"] for k, v in c.items() if k.endswith("_source")]
    assert texts and not [t for t in texts if "../" in t or "shared/" in t or "STANDARDS.md" in t]
