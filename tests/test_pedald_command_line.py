"""pedald's command line: what it does before any sound card is opened."""

import subprocess
import sys

from tests.support.paths import ROOT


def test_a_bad_configuration_stops_the_daemon_with_one_line_and_status_2(tmp_path):
    config = tmp_path / "pedal.toml"
    config.write_text("[audio]\nperiod = 4096\n")
    result = subprocess.run([sys.executable, "-m", "pedal.pedald", "--config", str(config)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"pedald: {config}: [audio] period: must be 32..1024, got 4096"]
