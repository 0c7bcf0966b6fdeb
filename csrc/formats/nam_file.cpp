#include "formats/nam_file.h"

#include <algorithm>
#include <cstdio>

#include "formats/json_fields.h"
#include "json/writer.h"

namespace pedal::formats::nam {

namespace {

struct Version {
    long long major = 0, minor = 0, patch = 0;
};

// Three dot-separated runs of 1..9 digits, nothing else (the reference player's rule).
bool parse_version(const std::string &text, Version &out) {
    long long parts[3] = {0, 0, 0};
    std::size_t part = 0, digits = 0;
    for (char c : text) {
        if (c == '.') {
            if (digits == 0 || ++part > 2) return false;
            digits = 0;
        } else if (c >= '0' && c <= '9') {
            if (++digits > 9) return false;
            parts[part] = parts[part] * 10 + (c - '0');
        } else {
            return false;
        }
    }
    if (part != 2 || digits == 0) return false;
    out = {parts[0], parts[1], parts[2]};
    return true;
}

std::string to_string(const Version &v) {
    return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
}

// Files up to 0.7 are read; newer minors may add maths this player lacks. Keys
// a 0.6/0.7 file may use beyond A1 are refused by the architecture loaders.
void check_version(const json::Value &root) {
    const std::string &text = require_string(root, "", "version");
    const json::Value &value = require(root, "", "version");
    Version v;
    if (!parse_version(text, v))
        fail_at("version", value, json::ObjectWriter::quote(text.substr(0, 24)) + " is not a MAJOR.MINOR.PATCH version");
    const bool too_old = v.major == 0 && v.minor < 5;
    const bool too_new = v.major > 0 || v.minor > 7;
    if (too_old || too_new)
        fail_at("version", value, "unsupported nam file version " + to_string(v) + "; supported: 0.5.x, 0.6.x, 0.7.x");
}

// Metadata values are informational or gains; null means absent (spec §2).
const json::Value *metadata_value(const json::Value &metadata, std::string_view key) {
    const json::Value *value = metadata.find(key);
    return value && !value->is_null() ? value : nullptr;
}

// The file's metadata, each key taken from `root` or else from `fallback`
// (a container whose submodel says nothing of the gear it captured).
std::string metadata_json(const json::Value &root, double sample_rate, bool assumed, const json::Value *fallback) {
    json::ObjectWriter out;
    out.number("sample_rate", sample_rate);
    out.text("sample_rate_source", assumed ? "assumed (the file stores none)" : "file");
    out.text("version", root.find("version")->string());
    const json::Value *sources[2] = {root.find("metadata"), fallback ? fallback->find("metadata") : nullptr};
    for (const json::Value *&metadata : sources) {
        if (!metadata || metadata->is_null()) {
            metadata = nullptr;
            continue;
        }
        if (!metadata->is_object())
            fail_at("metadata", *metadata, std::string("expected an object or null, got ") +
                                               json::Value::type_name(metadata->type()));
    }
    auto first = [&](const char *key) -> const json::Value * {
        for (const json::Value *metadata : sources)
            if (metadata)
                if (const json::Value *value = metadata_value(*metadata, key)) return value;
        return nullptr;
    };
    for (const char *key : {"loudness", "gain", "input_level_dbu", "output_level_dbu"}) {
        if (const json::Value *value = first(key)) out.number(key, require_number(*value, member("metadata", key)));
    }
    for (const char *key : {"name", "modeled_by", "gear_make", "gear_model", "gear_type", "tone_type"}) {
        if (const json::Value *value = first(key)) {
            if (!value->is_string())
                fail_at(member("metadata", key), *value,
                        std::string("expected a string or null, got ") + json::Value::type_name(value->type()));
            out.text(key, value->string());
        }
    }
    return out.str();
}

}  // namespace

std::string member(const std::string &path, std::string_view key) {
    return (path.empty() ? "" : path + ".") + std::string(key);
}

void rethrow_inside(const std::string &path, const FormatError &problem) {
    const std::string what = problem.what();
    throw FormatError(path + (what.rfind(" (", 0) == 0 ? "" : ".") + what);
}

std::string item(const std::string &path, std::size_t index) { return path + "[" + std::to_string(index) + "]"; }

std::string architecture_of(const json::Value &root) {
    check_version(root);
    return require_string(root, "", "architecture");
}

void describe_file(const json::Value &root, const std::string &architecture, LoadedModel &loaded,
                   const json::Value *container) {
    loaded.format = "nam";
    loaded.architecture = architecture;
    const json::Value *rate = root.find("sample_rate");
    const bool assumed = !rate || rate->is_null();
    loaded.sample_rate = kDefaultSampleRate;
    if (!assumed) {
        const double hz = require_number(*rate, "sample_rate");
        if (hz < 8000.0 || hz > 768000.0) {
            char text[32];
            std::snprintf(text, sizeof text, "%.17g", hz);
            fail_at("sample_rate", *rate, std::string("expected a rate in Hz between 8000 and 768000, got ") + text);
        }
        loaded.sample_rate = hz;
    }
    loaded.metadata_json = metadata_json(root, loaded.sample_rate, assumed, container);
}

void refuse_unknown_keys(const json::Value &object, const std::string &path,
                         std::initializer_list<std::string_view> known) {
    for (std::size_t i = 0; i < object.size(); ++i) {
        const std::string &key = object.key(i);
        if (std::find(known.begin(), known.end(), key) == known.end())
            fail_at(member(path, key), object.member(i), "unknown key; not supported by this player");
    }
}

const json::Value &require_object(const json::Value &object, const std::string &path, std::string_view key) {
    const json::Value &value = require(object, path, key);
    if (!value.is_object())
        fail_at(member(path, key), value, std::string("expected an object, got ") + json::Value::type_name(value.type()));
    return value;
}

bool require_bool(const json::Value &object, const std::string &path, std::string_view key) {
    const json::Value &value = require(object, path, key);
    if (!value.is_bool())
        fail_at(member(path, key), value, std::string("expected true or false, got ") + json::Value::type_name(value.type()));
    return value.boolean();
}

double require_number(const json::Value &value, const std::string &path) {
    if (!value.is_number())
        fail_at(path, value, std::string("expected a number, got ") + json::Value::type_name(value.type()));
    return value.number();
}

namespace {

std::vector<float> checked_weights(const json::Value &root, long long expected, const std::string &what) {
    const json::Value &list = require(root, "", "weights");
    if (list.is_array() && static_cast<long long>(list.array().size()) != expected)
        fail_at("weights", list, "has " + std::to_string(list.array().size()) + " weights; " + what + " needs " +
                                     std::to_string(expected));
    return read_weights(list, "weights", list.is_array() ? list.array().size() : 0, what);
}

}  // namespace

WeightReader::WeightReader(const json::Value &root, long long expected, const std::string &what)
    : weights_(checked_weights(root, expected, what)) {}

std::vector<float> WeightReader::take(std::size_t count) {
    std::vector<float> out(weights_.begin() + static_cast<std::ptrdiff_t>(next_),
                           weights_.begin() + static_cast<std::ptrdiff_t>(next_ + count));
    next_ += count;
    return out;
}

std::vector<float> WeightReader::take_conv(std::size_t out, std::size_t in, std::size_t kernel) {
    std::vector<float> converted(out * in * kernel);
    for (std::size_t o = 0; o < out; ++o)
        for (std::size_t i = 0; i < in; ++i)
            for (std::size_t k = 0; k < kernel; ++k) converted[(k * in + i) * out + o] = weights_[next_++];
    return converted;
}

std::vector<float> WeightReader::take_grouped_conv(std::size_t out, std::size_t in, std::size_t kernel,
                                                   std::size_t groups) {
    const std::size_t group_in = in / groups, group_out = out / groups;
    std::vector<float> dense(out * in * kernel, 0.0f);
    for (std::size_t o = 0; o < out; ++o) {
        const std::size_t first_input = (o / group_out) * group_in;
        for (std::size_t i = 0; i < group_in; ++i)
            for (std::size_t k = 0; k < kernel; ++k) dense[(k * in + first_input + i) * out + o] = weights_[next_++];
    }
    return dense;
}

std::vector<float> WeightReader::take_transposed(std::size_t rows, std::size_t columns) {
    std::vector<float> transposed(rows * columns);
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < columns; ++c) transposed[c * rows + r] = weights_[next_++];
    return transposed;
}

}  // namespace pedal::formats::nam
