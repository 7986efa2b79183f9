"""Run settings travel whole (pytest workers, process pools, Dask, verifier's replay): the wave with them."""

from dui_conformance.settings import RunSettings


def test_settings_keep_the_wave_through_their_file(tmp_path):
    assert RunSettings(mode="check").wave == 1  # vague 1 until the DUI vague 2 REM is official
    RunSettings(mode="check", wave=2, requirements=["INS-01"]).dump(tmp_path / "r.json")
    assert RunSettings.load(tmp_path / "r.json") == RunSettings(mode="check", wave=2, requirements=["INS-01"])
