"""A library of two captures (golden models: "drive", "amp") and two rigs of them ("crunch": drive
into amp; "clean": amp alone, quieter), in footswitch order, for the tests that play pedald on JACK.

    >>> write_two_rigs(tmp_path)       # tmp_path/models, tmp_path/rigs
"""

from pathlib import Path

from tests.support.paths import ROOT

GOLDEN = ROOT / "csrc" / "tests" / "golden"
RIGS = {"crunch": '[[capture]]\nmodel = "drive"\n\n[[capture]]\nmodel = "amp"\n',
        "clean": 'output_level_db = -12.0\n\n[[capture]]\nmodel = "amp"\n'}


def write_two_rigs(directory: Path) -> None:
    from pedal import rigs
    models = directory / "models"
    models.mkdir()
    (models / "drive.json").write_bytes((GOLDEN / "pedalnet_c4_d4_k3.model.json").read_bytes())
    (models / "amp.json").write_bytes((GOLDEN / "wavenetva_c5_d3_k4_numbers.model.json").read_bytes())
    (directory / "rigs").mkdir()
    for name, text in RIGS.items():
        (directory / "rigs" / f"{name}.toml").write_text(text)
    rigs.store(directory / "rigs").set_order(list(RIGS))
