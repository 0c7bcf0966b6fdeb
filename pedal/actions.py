"""What a footswitch press may do, as pedal.toml spells it (``[footswitch] long = "bypass"``).

    >>> parse_action("rig Clean Boost")
    Action(verb='rig', argument='Clean Boost')
    >>> parse_action("volume up")     # ValueError: unknown action 'volume up'; one of: ...

The words are few and fixed, so a typo stops the daemon at start (pedal.config) rather than
doing nothing on stage; what they act on (a rig's name) is looked up when the switch is pressed.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Action", "NONE", "parse_action"]

NONE = "none"
# verb -> what it does (a rig's name follows "rig"; "size" takes "up" or "down").
VERBS = {
    "next": "the next rig or model",
    "prev": "the previous rig or model",
    "bypass": "bypass on or off",
    "rig": "rig NAME: play that rig",
    "size": "size up / size down: the next larger or smaller submodel of the NAM A2 captures playing",
    "tuner": "open the tuner (any press closes it)",
    NONE: "nothing (for a double press: a short press is then not delayed)",
}


@dataclass(frozen=True)
class Action:
    verb: str
    argument: str = ""


def parse_action(text: str) -> Action:
    """The action ``text`` names; ValueError saying what it may be."""
    verb, _, argument = text.strip().partition(" ")
    verb, argument = verb.lower(), argument.strip()
    if verb not in VERBS:
        simple = ", ".join(verb for verb in VERBS if verb not in ("rig", "size"))
        raise ValueError(f"unknown action {text!r}; one of: {simple}, rig NAME, size up, size down")
    if verb == "rig" and not argument:
        raise ValueError(f"{text!r}: name the rig, e.g. \"rig Clean Boost\"")
    if verb == "size" and argument.lower() not in ("up", "down"):
        raise ValueError(f"{text!r}: size up or size down")
    if verb not in ("rig", "size") and argument:
        raise ValueError(f"{text!r}: {verb} takes nothing after it")
    return Action(verb, argument.lower() if verb == "size" else argument)
