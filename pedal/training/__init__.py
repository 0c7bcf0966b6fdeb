"""Training captures: PedalNetRT-style WaveNets from an input/target WAV pair.

    python tools/train.py di.wav amp.wav -o amp.json          # the command line
    >>> from pedal.training.trainer import Trainer, Settings  # the same from Python

The modules, one job each:

- ``pair``: the WAV pair, checked (mono, same rate, same length) and split into
  training and validation parts (numpy only).
- ``overdrive``: the synthetic pedal the bundled default model was trained on
  (filters and a soft clipper, numpy only, so tests can check the model without torch).
- ``wavenet``: the network in PyTorch, PedalNetRT's maths, and its export to
  PedalNetRT json (what pedal.core plays).
- ``loss``: error-to-signal ratio with pre-emphasis (Wright & Välimäki).
- ``trainer``: the loop: batches, validation, progress, checkpoints, resume,
  time limit keeping the best validation state.

Everything but ``pair`` and ``overdrive`` needs the optional ``[train]`` extra (PyTorch).
"""
