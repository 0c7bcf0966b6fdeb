// Nested JSON arrays of numbers read as row-major tensors of a known shape
// (Keras kernels such as [[...], ...], PyTorch state_dict tensors). The whole
// nesting is checked against the shape before anything is sized from it, and a
// mismatch names the array that is off, what was expected and what was found.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "formats/format_error.h"
#include "json/json.h"

namespace pedal::formats {

// "(12, 48)"
std::string shape_text(const std::vector<std::size_t> &shape);

// The numbers of `value` (at `path`), which must be nested exactly as `shape`;
// `what` names the tensor in messages ("lstm recurrent kernel"). Numbers must be
// JSON numbers (no strings) within the float32 range.
std::vector<float> read_tensor(const json::Value &value, const std::string &path, const std::vector<std::size_t> &shape,
                               const std::string &what);

// "[0.5,0]": floats as a JSON array, each in the shortest text that reads back the same.
std::string json_number_list(const std::vector<float> &values);

}  // namespace pedal::formats
