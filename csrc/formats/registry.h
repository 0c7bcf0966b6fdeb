// The one place that knows every model file family: content is sniffed, never
// the file name, and each family's loader is named in a single table.
#pragma once

#include <string>
#include <string_view>

#include "formats/loaded_model.h"
#include "json/json.h"

namespace pedal::formats {

// Parses and loads a model file. On failure returns false with a one-line
// message saying what was wrong and where. Never throws.
bool load_model(std::string_view bytes, LoadedModel &out, std::string &error,
                const LoadOptions &options = {}) noexcept;

// Loads a document of the named family that another file holds (a NAM
// container's submodels). Throws FormatError.
LoadedModel load_nested(const char *family, const json::Value &root, const LoadOptions &options);

}  // namespace pedal::formats
