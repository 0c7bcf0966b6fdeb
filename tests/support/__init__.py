"""What the tests share: paths, fakes, waiting, refusals, pedalctl in-process."""
