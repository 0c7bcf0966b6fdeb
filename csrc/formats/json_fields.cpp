#include "formats/json_fields.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "json/writer.h"

namespace pedal::formats {

namespace {

std::string type_of(const json::Value &value) { return json::Value::type_name(value.type()); }

std::string member_path(const std::string &path, std::string_view key) {
    return (path.empty() ? "" : path + ".") + std::string(key);
}

// Short, printable rendering of a string value for an error message.
std::string excerpt(const std::string &text) {
    return json::ObjectWriter::quote(text.size() > 24 ? text.substr(0, 24) + "..." : text);
}

}  // namespace

const json::Value &require(const json::Value &object, const std::string &path, std::string_view key) {
    const json::Value *member = object.find(key);
    if (!member) {
        const std::string owner = path.empty() ? "the top-level object" : path;
        fail_at(owner, object, "missing key \"" + std::string(key) + "\"");
    }
    return *member;
}

long long require_integer(const json::Value &value, const std::string &path, long long min, long long max) {
    const std::string range = " in " + std::to_string(min) + ".." + std::to_string(max);
    if (!value.is_number()) fail_at(path, value, "expected an integer" + range + ", got " + type_of(value));
    const double number = value.number();
    if (number != std::floor(number)) fail_at(path, value, "expected an integer" + range + ", got a fraction");
    if (number < static_cast<double>(min) || number > static_cast<double>(max)) {
        char text[32];
        std::snprintf(text, sizeof text, "%.17g", number);
        fail_at(path, value, "expected an integer" + range + ", got " + text);
    }
    return static_cast<long long>(number);
}

long long require_integer(const json::Value &object, const std::string &path, std::string_view key,
                          long long min, long long max) {
    return require_integer(require(object, path, key), member_path(path, key), min, max);
}

const std::string &require_string(const json::Value &object, const std::string &path, std::string_view key) {
    const json::Value &value = require(object, path, key);
    if (!value.is_string()) fail_at(member_path(path, key), value, "expected a string, got " + type_of(value));
    return value.string();
}

const json::Value &require_array(const json::Value &object, const std::string &path, std::string_view key) {
    const json::Value &value = require(object, path, key);
    if (!value.is_array()) fail_at(member_path(path, key), value, "expected an array, got " + type_of(value));
    return value;
}

std::vector<float> read_weights(const json::Value &array, const std::string &path, std::size_t expected,
                                const std::string &what) {
    if (!array.is_array()) fail_at(path, array, "expected an array of weights, got " + type_of(array));
    const auto &items = array.array();
    if (items.size() != expected) {
        fail_at(path, array, "has " + std::to_string(items.size()) + " weights; " + what + " needs " +
                                 std::to_string(expected));
    }
    std::vector<float> weights(expected);
    for (std::size_t i = 0; i < expected; ++i) {
        const json::Value &item = items[i];
        double number = 0.0;
        if (item.is_number()) {
            number = item.number();
        } else if (item.is_string()) {
            if (!json::parse_number_text(item.string(), number))
                fail_at(path + "[" + std::to_string(i) + "]", item,
                        "weight " + excerpt(item.string()) + " is not a finite decimal number");
        } else {
            fail_at(path + "[" + std::to_string(i) + "]", item, "expected a number, got " + type_of(item));
        }
        // A double such as 1e300 is finite yet overflows float32.
        if (std::fabs(number) > static_cast<double>(std::numeric_limits<float>::max()))
            fail_at(path + "[" + std::to_string(i) + "]", item, "weight is outside the float32 range");
        weights[i] = static_cast<float>(number);
    }
    return weights;
}

std::string join(const std::vector<std::string> &names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
    return out;
}

}  // namespace pedal::formats
