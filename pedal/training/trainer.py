"""The training loop: crops in batches, validation, progress, checkpoints, resume,
and a time limit that keeps the best validation state.

    >>> pair = load_pair("di.wav", "amp.wav")
    >>> result = Trainer(Settings(time_limit=240), pair, checkpoint="amp.ckpt").run()
    >>> result.best_esr, result.net            # the best validation ESR and its network
    >>> export_json(result, "amp.json")

An epoch is one pass over the training part of the recording in random crops of
``receptive_field - 1 + segment`` samples (each output sample sees real audio
only); after each one the network plays the validation part (the end of the
recording, which it never trains on) and the error-to-signal ratio there
decides which state is "best". The checkpoint, written atomically after every
epoch, holds the current and the best state, the optimiser and the random
generators, so ``resume`` carries on where a run stopped (Ctrl-C included).
"""

from __future__ import annotations

import copy
import io
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from pedal.files import write_atomically
from pedal.training.loss import PRE_EMPHASIS, esr, esr_pre_emphasis
from pedal.training.pair import Pair, PairError
from pedal.training.wavenet import WaveNet, dilations, to_pedalnet_json

CHECKPOINT_VERSION = 1
VALIDATION_CHUNK = 65536  # outputs per validation forward pass, to bound memory


@dataclass
class Settings:
    """Everything that shapes a run. The defaults reach ESR <= 0.05 on a simple
    overdrive within 4 minutes on two laptop cores (see README, "Training")."""
    channels: int = 12
    dilation_depth: int = 9
    repeat: int = 1
    kernel: int = 3
    epochs: int = 1000
    time_limit: float | None = None      # seconds of this run; None: until `epochs`
    batch_size: int = 8
    segment: int = 4096                  # output samples per crop
    steps_per_epoch: int = 16            # at most; fewer when one pass over the training audio takes fewer
    learning_rate: float = 4e-3
    validation_fraction: float = 0.2
    validation_seconds: float = 10.0     # at most: scoring longer costs time every epoch and tells little more
    pre_emphasis: float = PRE_EMPHASIS
    seed: int = 0
    # One thread: these small convolutions gain little from more, and lose a lot
    # when the cores are busy (2 threads ran 6-10x slower than 1 on a loaded 2-core machine).
    threads: int | None = 1              # None: PyTorch's choice (all cores)

    def architecture(self) -> dict:
        return {"channels": self.channels, "dilations": dilations(self.dilation_depth, self.repeat),
                "kernel": self.kernel}


@dataclass
class Epoch:
    number: int
    loss: float          # mean pre-emphasised ESR over the epoch's batches
    validation_esr: float
    seconds: float       # training time so far, all runs together
    cpu_seconds: float = 0.0  # processor time so far (all threads): the machine's load does not count


@dataclass
class Result:
    net: WaveNet                 # holding the best state
    best_esr: float
    best_epoch: int
    history: list[Epoch] = field(default_factory=list)
    stopped_by: str = "epochs"   # "epochs", "time limit" or "interrupted"
    rate: int = 44100


class CheckpointError(ValueError):
    pass


class Trainer:
    def __init__(self, settings: Settings, pair: Pair, checkpoint: Path | str | None = None,
                 resume: bool = False, log: Callable[[str], None] = print) -> None:
        self.settings, self.pair, self.log = settings, pair, log
        self.checkpoint = None if checkpoint is None else Path(checkpoint)
        if settings.threads:
            torch.set_num_threads(settings.threads)
        torch.manual_seed(settings.seed)
        self.net = WaveNet(**settings.architecture())
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=settings.learning_rate)
        # Halve the step when validation stops improving: the last few dB of ESR need small steps.
        self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(self.optimizer, factor=0.5, patience=4)
        self.rng = np.random.default_rng(settings.seed)
        self.epoch, self.elapsed, self.cpu, self.history = 0, 0.0, 0.0, []
        self.best_esr, self.best_epoch, self.best_state = math.inf, 0, copy.deepcopy(self.net.state_dict())
        self.training, self.validation = self._split()
        if resume and self.checkpoint is not None and self.checkpoint.exists():
            self._load_checkpoint()

    # --- data -------------------------------------------------------------------
    def _split(self) -> tuple[Pair, Pair]:
        rf = self.net.receptive_field
        fraction = min(self.settings.validation_fraction,
                       self.settings.validation_seconds * self.pair.rate / len(self.pair.dry))
        training, validation = self.pair.split(fraction)
        need = rf - 1 + self.settings.segment
        if len(training.dry) < need or len(validation.dry) < self.pair.rate // 10:
            least = (need / (1.0 - self.settings.validation_fraction)) / self.pair.rate
            raise PairError(f"the recording is {self.pair.seconds:.2f} s; this network (receptive field {rf} "
                            f"samples, crops of {self.settings.segment}) needs at least {max(least, 0.5):.2f} s "
                            "(a few minutes of playing is what a good capture wants)")
        # Validation outputs start where training stops, with the training audio
        # before it as their history, so every validation sample is scored.
        cut = len(training.dry)
        validation = Pair(self.pair.dry[cut - (rf - 1):], self.pair.wet[cut:], self.pair.rate)
        return training, validation

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        rf, segment, batch = self.net.receptive_field, self.settings.segment, self.settings.batch_size
        span = rf - 1 + segment
        starts = self.rng.integers(0, len(self.training.dry) - span + 1, batch)
        x = np.stack([self.training.dry[s:s + span] for s in starts])
        y = np.stack([self.training.wet[s + rf - 1:s + span] for s in starts])
        return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y).unsqueeze(1)

    def validate(self, net: WaveNet | None = None) -> float:
        """ESR (plain, no pre-emphasis) over the whole validation part."""
        net = net or self.net
        rf = net.receptive_field
        dry, wet = self.validation.dry, self.validation.wet
        outputs = []
        with torch.no_grad():
            for start in range(0, len(wet), VALIDATION_CHUNK):
                stop = min(len(wet), start + VALIDATION_CHUNK)
                x = torch.from_numpy(np.ascontiguousarray(dry[start:stop + rf - 1])).view(1, 1, -1)
                outputs.append(net(x).view(-1))
            return float(esr(torch.cat(outputs).double(), torch.from_numpy(wet).double()))

    # --- the loop ---------------------------------------------------------------
    def run(self) -> Result:
        s = self.settings
        steps = max(1, min(s.steps_per_epoch, math.ceil(len(self.training.dry) / (s.batch_size * s.segment))))
        started = time.monotonic()
        deadline = None if s.time_limit is None else started + s.time_limit
        stopped_by = "epochs"
        self.log(f"training a WaveNet ({s.channels} channels, dilations 1..{2 ** (s.dilation_depth - 1)} "
                 f"x{s.repeat}, kernel {s.kernel}, receptive field {self.net.receptive_field} samples, "
                 f"{sum(p.numel() for p in self.net.parameters())} parameters) on {self.training.seconds:.1f} s, "
                 f"validating on {len(self.validation.wet) / self.pair.rate:.1f} s; "
                 f"{steps} batches of {s.batch_size} x {s.segment} per epoch"
                 + (f"; stopping after {s.time_limit:g} s" if deadline else ""))
        if self.epoch:
            self.log(f"resuming after epoch {self.epoch} (best validation ESR {self.best_esr:.4f} "
                     f"at epoch {self.best_epoch})")
        try:
            while self.epoch < s.epochs:
                epoch_start, cpu_start = time.monotonic(), time.process_time()
                self.net.train()
                losses = []
                for _ in range(steps):
                    x, y = self._batch()
                    loss = esr_pre_emphasis(self.net(x), y, s.pre_emphasis)
                    self.optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    # Gated WaveNets occasionally take a huge step on a loud crop; clipping keeps them sane.
                    torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
                    self.optimizer.step()
                    losses.append(loss.detach().item())
                    if deadline is not None and time.monotonic() >= deadline:
                        stopped_by = "time limit"
                        break
                self._end_epoch(float(np.mean(losses)), epoch_start, cpu_start)
                if stopped_by != "epochs":
                    break
        except KeyboardInterrupt:
            stopped_by = "interrupted"
            self.log("interrupted: keeping the best state so far")
        self.net.load_state_dict(self.best_state)
        self.log(f"stopped ({stopped_by}) after epoch {self.epoch}, {self.elapsed:.0f} s of training; "
                 f"best validation ESR {self.best_esr:.4f} at epoch {self.best_epoch}")
        return Result(self.net, self.best_esr, self.best_epoch, list(self.history), stopped_by, self.pair.rate)

    def _end_epoch(self, loss: float, epoch_start: float, cpu_start: float) -> None:
        self.net.eval()
        validation_esr = self.validate()
        self.epoch += 1
        self.elapsed += time.monotonic() - epoch_start
        self.cpu += time.process_time() - cpu_start
        improved = validation_esr < self.best_esr
        if improved:
            self.best_esr, self.best_epoch = validation_esr, self.epoch
            self.best_state = copy.deepcopy(self.net.state_dict())
        self.scheduler.step(validation_esr)
        self.history.append(Epoch(self.epoch, loss, validation_esr, self.elapsed, self.cpu))
        learning_rate = self.optimizer.param_groups[0]["lr"]
        self.log(f"epoch {self.epoch:4d}  loss {loss:.4f}  validation ESR {validation_esr:.4f}"
                 f"{'  best' if improved else '      '}  lr {learning_rate:.1e}  {self.elapsed:6.1f} s (cpu {self.cpu:.0f} s)")
        self._save_checkpoint()

    # --- checkpoints ------------------------------------------------------------
    def _save_checkpoint(self) -> None:
        if self.checkpoint is None:
            return
        state = {"version": CHECKPOINT_VERSION, "architecture": self.net.config(),
                 "settings": asdict(self.settings), "epoch": self.epoch, "elapsed": self.elapsed, "cpu": self.cpu,
                 "best_esr": self.best_esr, "best_epoch": self.best_epoch, "best_state": self.best_state,
                 "state": self.net.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "scheduler": self.scheduler.state_dict(), "rng": self.rng.bit_generator.state,
                 "torch_rng": torch.get_rng_state(), "history": [asdict(e) for e in self.history],
                 "data": {"rate": self.pair.rate, "samples": len(self.pair.dry)}}
        buffer = io.BytesIO()
        torch.save(state, buffer)
        write_atomically(self.checkpoint, buffer.getvalue())

    def _load_checkpoint(self) -> None:
        try:
            state = torch.load(self.checkpoint, weights_only=False)
        except Exception as error:  # a truncated or foreign file: say so in one line
            raise CheckpointError(f"{self.checkpoint}: not a checkpoint this trainer can read ({error})") from None
        if not isinstance(state, dict) or state.get("version") != CHECKPOINT_VERSION:
            raise CheckpointError(f"{self.checkpoint}: not a checkpoint of this trainer (version "
                                  f"{state.get('version') if isinstance(state, dict) else '?'})")
        if state["architecture"] != self.net.config():
            raise CheckpointError(f"{self.checkpoint} holds a network {state['architecture']}, not the "
                                  f"{self.net.config()} asked for: give the same --channels/--dilation-depth/"
                                  "--repeat/--kernel, or delete the checkpoint to start afresh")
        if state["data"] != {"rate": self.pair.rate, "samples": len(self.pair.dry)}:
            self.log(f"note: {self.checkpoint} was trained on another recording ({state['data']}); "
                     "carrying on from it on this one")
        self.net.load_state_dict(state["state"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        self.epoch, self.elapsed, self.cpu = state["epoch"], state["elapsed"], state["cpu"]
        self.best_esr, self.best_epoch, self.best_state = state["best_esr"], state["best_epoch"], state["best_state"]
        self.history = [Epoch(**e) for e in state["history"]]


def export_json(result: Result, path: Path | str) -> dict:
    """Writes the best network as PedalNetRT json (atomically) and returns the
    document. The format plays at 44.1 kHz; a "training" key (ignored by
    players) records where the model came from."""
    document = to_pedalnet_json(result.net)
    document["training"] = {"trainer": "pedal tools/train.py", "validation_esr": round(result.best_esr, 6),
                            "epochs": result.best_epoch, "sample_rate": result.rate}
    write_atomically(Path(path), (json.dumps(document, separators=(",", ":")) + "\n").encode())
    return document
