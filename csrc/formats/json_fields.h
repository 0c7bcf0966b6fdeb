// Typed, bounds-checked reads of JSON fields for the loaders. Every limit is
// checked before anything is sized from the value, so a hostile file cannot
// make the core allocate absurd amounts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "formats/format_error.h"
#include "json/json.h"

namespace pedal::formats {

// The member `key` of `object` (at `path`), or a FormatError naming it.
const json::Value &require(const json::Value &object, const std::string &path, std::string_view key);

// An integral number in [min, max].
long long require_integer(const json::Value &value, const std::string &path, long long min, long long max);
long long require_integer(const json::Value &object, const std::string &path, std::string_view key,
                          long long min, long long max);

const std::string &require_string(const json::Value &object, const std::string &path, std::string_view key);
const json::Value &require_array(const json::Value &object, const std::string &path, std::string_view key);

// An array of numbers (or of numeric strings, as PedalNetRT writes them), each
// finite in float32; `expected` is checked against the length before copying.
std::vector<float> read_weights(const json::Value &array, const std::string &path, std::size_t expected,
                                const std::string &what);

// Renders "a, b, c" for "supported: ..." messages.
std::string join(const std::vector<std::string> &names);

}  // namespace pedal::formats
