"""Every broken or hostile model file is refused with its own one-line reason.

Each row: a name, the file's bytes, and words the message must contain (what was
wrong and where). None may crash the process or load.
"""

import copy
import json

import pytest

from pedal.core import Model
from tests.support.paths import ROOT
from tests.support.refusals import assert_distinct_messages, assert_refused

VALID = json.loads((ROOT / "csrc" / "tests" / "golden" / "pedalnet_c4_d4_k3.model.json").read_text())


def doc(change=None, **top_level):
    """The valid small model (C=4, K=3, dilations 1,2,4,8) with some changes, as bytes."""
    d = copy.deepcopy(VALID)
    d.update(top_level)
    if change:
        change(d)
    return json.dumps(d).encode()


def variable(d, layer, name):
    return next(v for v in d["variables"] if v["layer_idx"] == layer and v["name"] == name)


def drop_key(key):
    return lambda d: d.pop(key)


def set_weight(layer, name, index, value):
    return lambda d: variable(d, layer, name)["data"].__setitem__(index, value)


def nested(depth):
    return ("[" * depth + "]" * depth).encode()


VALID_BYTES = doc()

CASES = [
    ("empty file", b"", ["empty file"]),
    ("only whitespace", b"  \n\t ", ["not valid JSON", "2:", "expected a JSON value", "end of document"]),
    ("truncated upload", VALID_BYTES[: len(VALID_BYTES) // 2], ["not valid JSON", "end of document"]),
    ("not UTF-8", b'{"activation": "g\xe4ted"}', ["not valid JSON", "1:19", "UTF-8"]),
    ("binary garbage", b"\x00\x01\x02\xff", ["not valid JSON", "1:1"]),
    ("trailing garbage", VALID_BYTES + b" }", ["not valid JSON", "end of document"]),
    ("deep nesting", nested(100), ["not valid JSON", "64"]),
    ("Infinity literal", doc().replace(b'"filter_width": 3', b'"filter_width": Infinity'), ["not valid JSON"]),
    ("number beyond double", doc().replace(b'"filter_width": 3', b'"filter_width": 1e999'),
     ["not valid JSON", "out of range"]),
    ("duplicate key", b'{"dilations": [1], "dilations": [2]}', ["not valid JSON", "duplicate key"]),
    ("top level is an array", b"[1, 2, 3]", ["top level", "array"]),
    ("another program's json", b'{"name": "my amp", "gain": 3}', ["unrecognised model file", "supported"]),
    ("channels as a string", doc(residual_channels="16"), ["residual_channels", "line 1", "integer", "string"]),
    ("a billion channels", doc(residual_channels=10**9), ["residual_channels", "1..256", "1000000000"]),
    ("negative channels", doc(residual_channels=-4), ["residual_channels", "got -4"]),
    ("fractional kernel", doc(filter_width=2.5), ["filter_width", "fraction"]),
    ("zero kernel", doc(filter_width=0), ["filter_width", "1..64", "got 0"]),
    ("missing channels", doc(drop_key("residual_channels")), ['missing key "residual_channels"']),
    ("missing kernel", doc(drop_key("filter_width")), ['missing key "filter_width"']),
    ("stereo input", doc(input_channels=2), ["input_channels", "1..1", "got 2"]),
    ("no layers", doc(dilations=[]), ["dilations", "1..256 layers, got 0"]),
    ("negative dilation", doc(dilations=[1, -2, 4, 8]), ["dilations[1]", "got -2"]),
    ("absurd history", doc(dilations=[65536] * 256, filter_width=64), ["MiB of history", "limit is 16 MiB"]),
    ("unknown activation", doc(activation="swish"),
     ["unsupported pedalnet activation 'swish'", "supported: gated, softgated"]),
    ("activation not a string", doc(activation=1), ["activation", "expected a string, got number"]),
    ("variables not a list", doc(variables={}), ["variables", "expected an array, got object"]),
    ("variable without data", doc(lambda d: d["variables"][0].pop("data")), ["variables[0]", 'missing key "data"']),
    ("variable not an object", doc(lambda d: d["variables"].__setitem__(3, 7)), ["variables[3]", "expected an object"]),
    ("unknown variable name", doc(lambda d: variable(d, 0, "W_out").__setitem__("name", "W_foo")),
     ['unknown variable "W_foo" for layer_idx 0']),
    ("layer index past the mixer", doc(lambda d: d["variables"][5].__setitem__("layer_idx", 5)),
     ["variables[5].layer_idx", "-1..4", "got 5"]),
    ("duplicate variable", doc(lambda d: d["variables"].append(copy.deepcopy(variable(d, 0, "W_conv")))),
     ['duplicate variable "W_conv" for layer_idx 0']),
    ("missing variable", doc(lambda d: d["variables"].remove(variable(d, 2, "b_out"))),
     ['missing variable "b_out" for layer_idx 2']),
    ("weight count does not match the shape", doc(lambda d: variable(d, 0, "W_conv")["data"].pop()),
     ["has 95 weights", 'layer_idx 0 "W_conv" kernel (3, 4, 8) needs 96']),
    ("too many mixer weights", doc(lambda d: variable(d, 4, "W")["data"].append("0.5")),
     ["has 17 weights", "mix kernel (1, 16, 1) needs 16"]),
    ("NaN weight as a string", doc(set_weight(0, "W_conv", 17, "nan")),
     ["data[17]", 'weight "nan" is not a finite decimal number']),
    ("Inf weight as a string", doc(set_weight(1, "b_out", 2, "-inf")), ["data[2]", "not a finite decimal number"]),
    ("weight beyond float32", doc(set_weight(0, "b_conv", 0, "1e39")), ["data[0]", "outside the float32 range"]),
    ("weight of the wrong type", doc(set_weight(-1, "W", 1, True)), ["data[1]", "expected a number, got boolean"]),
    ("level_adjust not a number", doc(level_adjust="loud"), ["level_adjust", "expected a number"]),
    ("bigger than 32 MiB", b'{"pad": "' + b"x" * (32 * 1024 * 1024) + b'"}', ["not valid JSON", "33554432"]),
]


def test_the_table_is_at_least_twenty_five_distinct_cases():
    assert len(CASES) >= 25
    assert len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize("name, data, fragments", CASES, ids=[c[0] for c in CASES])
def test_bad_model_file_is_refused_with_a_specific_message(name, data, fragments):
    assert_refused(name, data, fragments)


def test_every_bad_file_gets_a_different_message():
    assert_distinct_messages(CASES)


def test_the_unchanged_base_document_loads():
    assert Model.from_json(VALID_BYTES).info["parameters"] == 521
