#include "formats/tensor_fields.h"

#include <cmath>
#include <limits>

#include "json/writer.h"

namespace pedal::formats {

namespace {

std::string describe(const json::Value &value) {
    std::string type = json::Value::type_name(value.type());
    if (value.is_string()) {
        const std::string &text = value.string();
        type += " " + json::ObjectWriter::quote(text.size() > 24 ? text.substr(0, 24) + "..." : text);
    }
    return type;
}

// Checks the nesting level by level; nothing is allocated here.
void check_shape(const json::Value &value, const std::string &path, const std::vector<std::size_t> &shape,
                 std::size_t level, const std::string &what) {
    // "lstm kernel (inputs, 4*units) = (1, 48)" when `what` names the axes.
    const std::string tensor = what + (!what.empty() && what.back() == ')' ? " = " : " ") + shape_text(shape);
    if (level == shape.size()) {
        if (!value.is_number()) fail_at(path, value, "expected a number in " + tensor + ", got " + describe(value));
        if (std::fabs(value.number()) > static_cast<double>(std::numeric_limits<float>::max()))
            fail_at(path, value, "weight is outside the float32 range");
        return;
    }
    if (!value.is_array()) fail_at(path, value, "expected an array for " + tensor + ", got " + describe(value));
    const auto &items = value.array();
    if (items.size() != shape[level]) {
        fail_at(path, value,
                "has " + std::to_string(items.size()) + " entries; " + tensor + " needs " + std::to_string(shape[level]) +
                    (level == 0 ? "" : " at this depth"));
    }
    for (std::size_t i = 0; i < items.size(); ++i)
        check_shape(items[i], path + "[" + std::to_string(i) + "]", shape, level + 1, what);
}

void flatten(const json::Value &value, std::size_t level, std::size_t depth, std::vector<float> &out) {
    if (level == depth) {
        out.push_back(static_cast<float>(value.number()));
        return;
    }
    for (const json::Value &item : value.array()) flatten(item, level + 1, depth, out);
}

}  // namespace

std::string shape_text(const std::vector<std::size_t> &shape) {
    std::string out = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
    return out + ")";
}

std::vector<float> read_tensor(const json::Value &value, const std::string &path, const std::vector<std::size_t> &shape,
                               const std::string &what) {
    check_shape(value, path, shape, 0, what);
    std::size_t count = 1;
    for (std::size_t d : shape) count *= d;
    std::vector<float> out;
    out.reserve(count);
    flatten(value, 0, shape.size(), out);
    return out;
}

std::string json_number_list(const std::vector<float> &values) {
    json::ArrayWriter list;
    for (float value : values) list.number(static_cast<double>(value));
    return list.str();
}

}  // namespace pedal::formats
