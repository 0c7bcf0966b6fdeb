// NAM's activation names and parameters (spec: formats/nam.md §5) read into a
// layers::Pointwise.
#pragma once

#include <cstddef>
#include <string>

#include "json/json.h"
#include "layers/pointwise.h"

namespace pedal::formats::nam {

struct NamedActivation {
    layers::Pointwise pointwise;
    std::string name;  // as the file spells it, for the model's description
};

// `value` is a name ("Tanh") or an object ({"type": "LeakyReLU", "negative_slope": 0.2});
// `channels` is the width it applies to (a PReLU may give one slope per channel).
NamedActivation parse_activation(const json::Value &value, const std::string &path, std::size_t channels);

}  // namespace pedal::formats::nam
