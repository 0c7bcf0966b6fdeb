// Loaders report a bad file by throwing FormatError; the registry catches it
// and the C ABI turns it into a message, so no exception ever leaves the core.
// Messages say where (a path into the document plus line:column) and what.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "json/json.h"

namespace pedal::formats {

class FormatError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "variables[3].data (line 5, column 12)"
inline std::string where(const std::string &path, const json::Value &value) {
    return path + " (line " + std::to_string(value.line()) + ", column " + std::to_string(value.column()) + ")";
}

[[noreturn]] inline void fail_at(const std::string &path, const json::Value &value, const std::string &what) {
    throw FormatError(where(path, value) + ": " + what);
}

}  // namespace pedal::formats
