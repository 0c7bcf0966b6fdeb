#include "formats/nam_activation.h"

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "formats/json_fields.h"
#include "formats/nam_file.h"
#include "json/writer.h"

namespace pedal::formats::nam {

namespace {

using Kind = layers::Pointwise::Kind;

// Every name NeuralAmpModelerCore accepts (activations.cpp), case-sensitive,
// and the trainer's Softsigmoid.
const std::pair<const char *, Kind> kNames[] = {
    {"Tanh", Kind::Tanh},           {"Hardtanh", Kind::Hardtanh},   {"Fasttanh", Kind::Fasttanh},
    {"ReLU", Kind::ReLU},           {"LeakyReLU", Kind::LeakyReLU}, {"PReLU", Kind::LeakyReLU},
    {"Sigmoid", Kind::Sigmoid},     {"SiLU", Kind::SiLU},           {"Hardswish", Kind::Hardswish},
    {"LeakyHardtanh", Kind::LeakyHardtanh}, {"LeakyHardTanh", Kind::LeakyHardtanh}, {"Softsign", Kind::Softsign},
    {"Softsigmoid", Kind::Softsigmoid},
};

float parameter(const json::Value &object, const std::string &path, const char *key, float fallback) {
    const json::Value *value = object.find(key);
    if (!value) return fallback;
    const double number = require_number(*value, member(path, key));
    if (std::fabs(number) > static_cast<double>(std::numeric_limits<float>::max()))
        fail_at(member(path, key), *value, "outside the float32 range");
    return static_cast<float>(number);
}

Kind kind_of(const std::string &name, const json::Value &at, const std::string &path) {
    std::vector<std::string> supported;
    for (const auto &[known, kind] : kNames) {
        if (name == known) return kind;
        supported.emplace_back(known);
    }
    fail_at(path, at, "unsupported nam activation " + json::ObjectWriter::quote(name.substr(0, 32)) +
                          "; supported: " + join(supported));
}

void read_slopes(const json::Value &object, const std::string &path, std::size_t channels, layers::Pointwise &out) {
    const json::Value *one = object.find("negative_slope");
    const json::Value *many = object.find("negative_slopes");
    if (one && many) fail_at(path, object, "give negative_slope or negative_slopes, not both");
    if (one) out.slopes = {parameter(object, path, "negative_slope", 0.01f)};
    if (!many) return;
    const std::string list_path = member(path, "negative_slopes");
    if (!many->is_array() || (many->array().size() != 1 && many->array().size() != channels))
        fail_at(list_path, *many, "expected an array of 1 or " + std::to_string(channels) + " slopes (one per channel)");
    out.slopes.clear();
    for (std::size_t c = 0; c < many->array().size(); ++c)
        out.slopes.push_back(static_cast<float>(require_number(many->array()[c], item(list_path, c))));
}

}  // namespace

NamedActivation parse_activation(const json::Value &value, const std::string &path, std::size_t channels) {
    NamedActivation out;
    if (value.is_string()) {
        out.name = value.string();
        out.pointwise.kind = kind_of(out.name, value, path);
        return out;
    }
    if (!value.is_object())
        fail_at(path, value, std::string("expected an activation name or object, got ") +
                                 json::Value::type_name(value.type()));
    // "type" as NAM's exporter writes a layer's activation; "name" as the trainer
    // writes its own config (the post-stack head's activation is copied from it).
    const bool named = !value.find("type") && value.find("name");
    const char *key = named ? "name" : "type";
    out.name = require_string(value, path, key);
    const std::string type_path = member(path, key);
    layers::Pointwise &p = out.pointwise;
    p.kind = kind_of(out.name, require(value, path, key), type_path);
    switch (p.kind) {
        case Kind::LeakyReLU:
            refuse_unknown_keys(value, path, {key, "negative_slope", "negative_slopes"});
            if (out.name == "LeakyReLU" && value.find("negative_slopes"))
                fail_at(member(path, "negative_slopes"), *value.find("negative_slopes"), "only PReLU has per-channel slopes");
            read_slopes(value, path, channels, p);
            break;
        case Kind::Hardtanh:
            // PyTorch honours these; NeuralAmpModelerCore always clamps to +-1 (same at the defaults).
            refuse_unknown_keys(value, path, {key, "min_val", "max_val"});
            p.min_value = parameter(value, path, "min_val", -1.0f);
            p.max_value = parameter(value, path, "max_val", 1.0f);
            if (!(p.min_value < p.max_value)) fail_at(path, value, "min_val must be below max_val");
            break;
        case Kind::LeakyHardtanh:
            refuse_unknown_keys(value, path, {key, "min_val", "max_val", "min_slope", "max_slope"});
            p.min_value = parameter(value, path, "min_val", -1.0f);
            p.max_value = parameter(value, path, "max_val", 1.0f);
            p.min_slope = parameter(value, path, "min_slope", 0.01f);
            p.max_slope = parameter(value, path, "max_slope", 0.01f);
            if (!(p.min_value <= p.max_value)) fail_at(path, value, "min_val must not exceed max_val");
            break;
        default:
            refuse_unknown_keys(value, path, {key});
            break;
    }
    return out;
}

}  // namespace pedal::formats::nam
