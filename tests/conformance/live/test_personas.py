"""The live personas' DMP profiles: what the DMP mock answers for a persona's INS, and its opposition."""

from __future__ import annotations

from dui_conformance.live.personas import DmpProfile, dmp_profiles, extra_personas
from dui_conformance.mocks.dmp import DMP_STATES


def test_the_dmp_profiles_cover_absent_refused_and_opposition_with_states_the_mock_knows():
    profiles = dmp_profiles()
    assert {p.state for p in profiles.values()} <= set(DMP_STATES)
    assert profiles["ne-etranger"].state == "absent" and profiles["date-partielle"].state == "refuse"
    assert profiles["nom-compose"] == DmpProfile(opposition=True)
    assert "unique" not in profiles and DmpProfile() == DmpProfile("present", False)


def test_the_dmp_rows_leave_the_insi_personas_unchanged(tmp_path):
    path = tmp_path / "personas.toml"
    path.write_text('[[dmp]]\nof = "x"\netat = "refuse"\n', encoding="utf-8")
    assert dmp_profiles(path) == {"x": DmpProfile("refuse")} and extra_personas(path) == []
