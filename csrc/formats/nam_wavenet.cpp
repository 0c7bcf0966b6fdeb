// NAM WaveNet config (spec: formats/nam.md §3-§6): the A1 ("legacy") spelling
// of 0.5 files and the 0.7 spelling of the same networks, which names every
// default explicitly. Keys beyond A1 are accepted only at their A1 values.
#include <stdexcept>
#include <string>
#include <vector>

#include "formats/json_fields.h"
#include "formats/nam.h"
#include "formats/nam_activation.h"
#include "formats/nam_file.h"
#include "json/writer.h"
#include "models/nam_wavenet.h"

namespace pedal::formats {

namespace {

using nam::member;
using nam::item;

// Far above any published model (A1 standard: 2 arrays, 16 channels, 10
// layers, kernel 3; A2: kernel 15, head kernel 16), low enough that a hostile
// file cannot make a Pi allocate or prewarm for long.
constexpr long long kMaxArrays = 16;
constexpr long long kMaxChannels = 256;
constexpr long long kMaxKernel = 64;
constexpr long long kMaxLayers = 256;
constexpr long long kMaxDilation = 65536;
constexpr long long kMaxStateFloats = 16ll * 1024 * 1024;  // 64 MiB of history, prewarmed copy included
constexpr long long kMaxReceptiveField = 1ll << 18;         // 5.5 s at 48 kHz of prewarm
constexpr long long kMaxPrewarmWork = 1ll << 31;            // multiply-adds; A1 standard needs 5.6e7

const char *const kFilmKeys[] = {"conv_pre_film",        "conv_post_film",       "input_mixin_pre_film",
                                 "input_mixin_post_film", "activation_pre_film", "activation_post_film",
                                 "layer1x1_post_film",   "head1x1_post_film"};

// One layer array's shape, checked, before any weight is read.
struct ArrayShape {
    std::string path;
    std::size_t input_size = 1, channels = 0, head_size = 0, head_kernel = 1;
    bool head_bias = false;
    std::vector<std::size_t> kernels, dilations;
    std::vector<nam::NamedActivation> activations, gates;
    std::vector<bool> gated;
};

// A setting given once for every layer, or as an array of one per layer.
template <class Read>
void per_layer(const json::Value &value, const std::string &path, std::size_t count, Read read) {
    if (!value.is_array()) {
        for (std::size_t j = 0; j < count; ++j) read(value, path, j);
        return;
    }
    if (value.array().size() != count)
        fail_at(path, value, "expected one entry per layer (" + std::to_string(count) + "), got " +
                                 std::to_string(value.array().size()));
    for (std::size_t j = 0; j < count; ++j) read(value.array()[j], item(path, j), j);
}

std::size_t integer(const json::Value &object, const std::string &path, std::string_view key, long long max) {
    return static_cast<std::size_t>(require_integer(object, path, key, 1, max));
}

// 0.7 keys that A1 files leave out: accepted only at the value that means "as in A1".
void require_a1_defaults(const json::Value &layer, const std::string &path, std::size_t channels) {
    if (const json::Value *bottleneck = layer.find("bottleneck")) {
        const std::size_t b = integer(layer, path, "bottleneck", kMaxChannels);
        if (b != channels)
            fail_at(member(path, "bottleneck"), *bottleneck,
                    std::to_string(b) + " != channels " + std::to_string(channels) +
                        ": not supported (only bottleneck == channels)");
    }
    for (const char *key : {"groups_input", "groups_input_mixin"}) {
        if (layer.find(key) && require_integer(layer, path, key, 1, kMaxChannels) != 1)
            fail_at(member(path, key), *layer.find(key), "grouped convolutions are not supported (only 1)");
    }
    if (layer.find("layer1x1")) {
        const std::string at = member(path, "layer1x1");
        const json::Value &layer1x1 = nam::require_object(layer, path, "layer1x1");
        nam::refuse_unknown_keys(layer1x1, at, {"active", "groups"});
        if (!nam::require_bool(layer1x1, at, "active"))
            fail_at(member(at, "active"), *layer1x1.find("active"), "an inactive layer1x1 is not supported");
        if (layer1x1.find("groups") && require_integer(layer1x1, at, "groups", 1, kMaxChannels) != 1)
            fail_at(member(at, "groups"), *layer1x1.find("groups"), "grouped convolutions are not supported (only 1)");
    }
    if (layer.find("head1x1")) {
        const std::string at = member(path, "head1x1");
        const json::Value &head1x1 = nam::require_object(layer, path, "head1x1");
        nam::refuse_unknown_keys(head1x1, at, {"active", "out_channels", "groups"});
        if (nam::require_bool(head1x1, at, "active"))
            fail_at(member(at, "active"), *head1x1.find("active"), "an active head1x1 is not supported");
    }
    for (const char *key : kFilmKeys) {
        const json::Value *film = layer.find(key);
        if (!film || (film->is_bool() && !film->boolean())) continue;
        const std::string at = member(path, key);
        if (!film->is_object()) fail_at(at, *film, "expected false or an object");
        nam::refuse_unknown_keys(*film, at, {"active", "shift", "groups"});
        // NeuralAmpModelerCore reads a FiLM object without "active" as active.
        if (!film->find("active") || nam::require_bool(*film, at, "active"))
            fail_at(at, *film, "FiLM is not supported (only inactive)");
    }
    if (const json::Value *slimmable = layer.find("slimmable"); slimmable && !slimmable->is_null())
        fail_at(member(path, "slimmable"), *slimmable, "slimmable layer arrays are not supported (only null)");
}

void read_head(const json::Value &layer, const std::string &path, ArrayShape &shape) {
    const json::Value *head = layer.find("head");
    if (head && !head->is_null()) {
        if (layer.find("head_size") || layer.find("head_bias"))
            fail_at(member(path, "head"), *head, "give head or head_size/head_bias, not both");
        const std::string at = member(path, "head");
        const json::Value &object = nam::require_object(layer, path, "head");
        nam::refuse_unknown_keys(object, at, {"out_channels", "kernel_size", "bias", "head_dilation"});
        shape.head_size = integer(object, at, "out_channels", kMaxChannels);
        shape.head_kernel = integer(object, at, "kernel_size", kMaxKernel);
        shape.head_bias = nam::require_bool(object, at, "bias");
        if (object.find("head_dilation") && require_integer(object, at, "head_dilation", 1, kMaxDilation) != 1)
            fail_at(member(at, "head_dilation"), *object.find("head_dilation"),
                    "a dilated head is not supported (only 1)");
        return;
    }
    shape.head_size = integer(layer, path, "head_size", kMaxChannels);
    shape.head_bias = nam::require_bool(layer, path, "head_bias");
}

void read_kernels(const json::Value &layer, const std::string &path, ArrayShape &shape) {
    const std::size_t count = shape.dilations.size();
    const json::Value *single = layer.find("kernel_size");
    const json::Value *list = layer.find("kernel_sizes");
    if (single && list) fail_at(path, layer, "give kernel_size or kernel_sizes, not both");
    if (!list) {
        shape.kernels.assign(count, integer(layer, path, "kernel_size", kMaxKernel));
        return;
    }
    const std::string at = member(path, "kernel_sizes");
    if (!list->is_array()) fail_at(at, *list, "expected an array of kernel sizes");
    shape.kernels.resize(count);
    per_layer(*list, at, count, [&](const json::Value &value, const std::string &p, std::size_t j) {
        shape.kernels[j] = static_cast<std::size_t>(require_integer(value, p, 1, kMaxKernel));
    });
}

void read_gating(const json::Value &layer, const std::string &path, ArrayShape &shape) {
    const std::size_t count = shape.dilations.size();
    shape.gated.assign(count, false);
    const json::Value *mode = layer.find("gating_mode");
    const json::Value *flag = layer.find("gated");
    if (mode) {
        per_layer(*mode, member(path, "gating_mode"), count,
                  [&](const json::Value &value, const std::string &p, std::size_t j) {
                      const std::string name = value.is_string() ? value.string() : "";
                      if (name == "blended")
                          fail_at(p, value, "gating_mode \"blended\" is not supported (supported: none, gated)");
                      if (name != "none" && name != "gated")
                          fail_at(p, value, "expected gating_mode \"none\" or \"gated\"");
                      shape.gated[j] = name == "gated";
                  });
    }
    if (flag) {
        const bool gated = nam::require_bool(layer, path, "gated");
        for (std::size_t j = 0; j < count; ++j) {
            if (mode && shape.gated[j] != gated)
                fail_at(member(path, "gated"), *flag, "contradicts gating_mode");
            shape.gated[j] = gated;
        }
    }
    // A1's gate is a sigmoid; 0.7 names it per layer (null for ungated layers).
    shape.gates.assign(count, nam::NamedActivation{{layers::Pointwise::Kind::Sigmoid}, "Sigmoid"});
    const json::Value *secondary = layer.find("secondary_activation");
    if (!secondary || secondary->is_null()) return;
    per_layer(*secondary, member(path, "secondary_activation"), count,
              [&](const json::Value &value, const std::string &p, std::size_t j) {
                  if (!shape.gated[j]) return;  // ignored by both NAM players
                  if (value.is_null()) fail_at(p, value, "a gated layer needs a secondary activation");
                  shape.gates[j] = nam::parse_activation(value, p, shape.channels);
              });
}

ArrayShape read_array(const json::Value &layer, const std::string &path) {
    if (!layer.is_object()) fail_at(path, layer, "expected a layer array object");
    nam::refuse_unknown_keys(
        layer, path,
        {"input_size", "condition_size", "channels", "kernel_size", "kernel_sizes", "dilations", "activation", "gated",
         "gating_mode", "secondary_activation", "head_size", "head_bias", "head", "bottleneck", "head1x1", "layer1x1",
         "groups_input", "groups_input_mixin", "slimmable", kFilmKeys[0], kFilmKeys[1], kFilmKeys[2], kFilmKeys[3],
         kFilmKeys[4], kFilmKeys[5], kFilmKeys[6], kFilmKeys[7]});
    ArrayShape shape;
    shape.path = path;
    shape.input_size = integer(layer, path, "input_size", kMaxChannels);
    if (require_integer(layer, path, "condition_size", 1, kMaxChannels) != 1)
        fail_at(member(path, "condition_size"), *layer.find("condition_size"),
                "only 1 (the mono input) is supported");
    shape.channels = integer(layer, path, "channels", kMaxChannels);

    const json::Value &dilations = require_array(layer, path, "dilations");
    const std::string dilations_path = member(path, "dilations");
    if (dilations.array().empty() || dilations.array().size() > static_cast<std::size_t>(kMaxLayers))
        fail_at(dilations_path, dilations,
                "expected 1.." + std::to_string(kMaxLayers) + " layers, got " + std::to_string(dilations.array().size()));
    for (std::size_t j = 0; j < dilations.array().size(); ++j)
        shape.dilations.push_back(
            static_cast<std::size_t>(require_integer(dilations.array()[j], item(dilations_path, j), 1, kMaxDilation)));
    const std::size_t count = shape.dilations.size();

    read_kernels(layer, path, shape);
    read_head(layer, path, shape);
    require_a1_defaults(layer, path, shape.channels);
    read_gating(layer, path, shape);
    shape.activations.resize(count);
    per_layer(require(layer, path, "activation"), member(path, "activation"), count,
              [&](const json::Value &value, const std::string &p, std::size_t j) {
                  shape.activations[j] = nam::parse_activation(value, p, shape.channels);
              });
    return shape;
}

// Array a reads array a-1's residual stream and starts its head sum from
// array a-1's head output; the last head is the mono output.
void check_chaining(const std::vector<ArrayShape> &arrays, const json::Value &list) {
    for (std::size_t a = 0; a < arrays.size(); ++a) {
        const ArrayShape &shape = arrays[a];
        const json::Value &layer = list.array()[a];
        const std::size_t expected_input = a == 0 ? 1 : arrays[a - 1].channels;
        if (shape.input_size != expected_input)
            fail_at(member(shape.path, "input_size"), *layer.find("input_size"),
                    std::to_string(shape.input_size) + " must equal " +
                        (a == 0 ? std::string("1 (the mono input)")
                                : std::to_string(expected_input) + ", the channels of config.layers[" +
                                      std::to_string(a - 1) + "]"));
        if (a > 0 && shape.channels != arrays[a - 1].head_size)
            fail_at(member(shape.path, "channels"), *layer.find("channels"),
                    std::to_string(shape.channels) + " must equal " + std::to_string(arrays[a - 1].head_size) +
                        ", the head size of config.layers[" + std::to_string(a - 1) +
                        "] (its head output seeds this array's head)");
    }
    const ArrayShape &last = arrays.back();
    if (last.head_size != 1)
        fail_at(last.path, list.array().back(),
                "the last layer array's head size must be 1 (the mono output), got " + std::to_string(last.head_size));
}

long long weight_count(const std::vector<ArrayShape> &arrays) {
    long long count = 1;  // head_scale
    for (const ArrayShape &shape : arrays) {
        const long long c = static_cast<long long>(shape.channels);
        const long long h = static_cast<long long>(shape.head_size);
        count += static_cast<long long>(shape.input_size) * c;
        for (std::size_t j = 0; j < shape.dilations.size(); ++j) {
            const long long width = shape.gated[j] ? 2 * c : c;
            count += static_cast<long long>(shape.kernels[j]) * c * width + width  // conv
                     + width                                                        // input mixin
                     + c * c + c;                                                   // layer1x1
        }
        count += static_cast<long long>(shape.head_kernel) * c * h + (shape.head_bias ? h : 0);
    }
    return count;
}

// What History allocates for `lookback` frames (see layers/history.h), twice: live and prewarmed.
long long history_floats(long long lookback, long long channels) {
    const long long chunk_room = 4 * static_cast<long long>(models::kMaxChunk);
    return 2 * (lookback + (lookback > chunk_room ? lookback : chunk_room)) * channels;
}

// Loading runs receptive_field - 1 samples of silence through the network
// (see models/nam_wavenet.cpp), so its size bounds the time a load can take.
void check_size(const std::vector<ArrayShape> &arrays, const json::Value &list, long long weights) {
    long long state = 0, receptive_field = 1;
    for (const ArrayShape &shape : arrays) {
        const long long channels = static_cast<long long>(shape.channels);
        for (std::size_t j = 0; j < shape.dilations.size(); ++j) {
            const long long lookback =
                (static_cast<long long>(shape.kernels[j]) - 1) * static_cast<long long>(shape.dilations[j]);
            state += history_floats(lookback, channels);
            receptive_field += lookback;
        }
        state += history_floats(static_cast<long long>(shape.head_kernel) - 1, channels);
        receptive_field += static_cast<long long>(shape.head_kernel) - 1;
    }
    if (state > kMaxStateFloats)
        fail_at("config.layers", list,
                "the network would keep " + std::to_string(state / (1024 * 1024 / 4)) +
                    " MiB of history; the limit is " + std::to_string(kMaxStateFloats / (1024 * 1024 / 4)) + " MiB");
    if (receptive_field > kMaxReceptiveField)
        fail_at("config.layers", list,
                "receptive field of " + std::to_string(receptive_field) + " samples; the limit is " +
                    std::to_string(kMaxReceptiveField));
    if (weights * (receptive_field - 1) > kMaxPrewarmWork)
        fail_at("config.layers", list,
                "too big to prewarm: " + std::to_string(weights) + " weights x " + std::to_string(receptive_field - 1) +
                    " samples of silence is over the limit of " + std::to_string(kMaxPrewarmWork) + " multiply-adds");
}

models::NamWaveNetSpec build(const std::vector<ArrayShape> &arrays, nam::WeightReader &weights) {
    models::NamWaveNetSpec spec;
    for (const ArrayShape &shape : arrays) {
        models::NamWaveNetArray array;
        const std::size_t c = shape.channels;
        array.input_size = shape.input_size;
        array.channels = c;
        array.head_size = shape.head_size;
        array.head_kernel = shape.head_kernel;
        array.rechannel_weights = weights.take_conv(c, shape.input_size, 1);
        for (std::size_t j = 0; j < shape.dilations.size(); ++j) {
            models::NamWaveNetLayer layer;
            const std::size_t width = shape.gated[j] ? 2 * c : c;
            layer.kernel = shape.kernels[j];
            layer.dilation = shape.dilations[j];
            layer.activation = shape.activations[j].pointwise;
            layer.gated = shape.gated[j];
            layer.gate = shape.gates[j].pointwise;
            layer.conv_weights = weights.take_conv(width, c, layer.kernel);
            layer.conv_bias = weights.take(width);
            layer.mixin_weights = weights.take(width);
            layer.residual_weights = weights.take_conv(c, c, 1);
            layer.residual_bias = weights.take(c);
            array.layers.push_back(std::move(layer));
        }
        array.head_weights = weights.take_conv(shape.head_size, c, shape.head_kernel);
        if (shape.head_bias) array.head_bias = weights.take(shape.head_size);
        spec.arrays.push_back(std::move(array));
    }
    // The config's head_scale is a rounded copy; the last weight is what was trained.
    spec.head_scale = weights.take_one();
    return spec;
}

template <class Field>
std::string per_layer_json(const ArrayShape &shape, Field field) {
    bool uniform = true;
    for (std::size_t j = 1; j < shape.dilations.size(); ++j) uniform = uniform && field(j) == field(0);
    if (uniform) return field(0);
    std::string list = "[";
    for (std::size_t j = 0; j < shape.dilations.size(); ++j) list += (j ? "," : "") + field(j);
    return list + "]";
}

std::string describe(const std::vector<ArrayShape> &arrays, float head_scale) {
    std::string list = "[";
    for (std::size_t a = 0; a < arrays.size(); ++a) {
        const ArrayShape &shape = arrays[a];
        json::ObjectWriter array;
        array.integer("input_size", static_cast<long long>(shape.input_size))
            .integer("channels", static_cast<long long>(shape.channels))
            .integers("kernel_sizes", shape.kernels)
            .integers("dilations", shape.dilations)
            .raw("activation", per_layer_json(shape, [&](std::size_t j) {
                     return json::ObjectWriter::quote(shape.activations[j].name);
                 }))
            .raw("gated", per_layer_json(shape, [&](std::size_t j) {
                     return std::string(shape.gated[j] ? "true" : "false");
                 }))
            .integer("head_size", static_cast<long long>(shape.head_size))
            .integer("head_kernel_size", static_cast<long long>(shape.head_kernel))
            .raw("head_bias", shape.head_bias ? "true" : "false");
        list += (a ? "," : "") + array.str();
    }
    return json::ObjectWriter().raw("layer_arrays", list + "]").number("head_scale", head_scale).str();
}

}  // namespace

LoadedModel load_nam_wavenet(const json::Value &root, const LoadOptions &) {
    const json::Value &config = nam::require_object(root, "", "config");
    nam::refuse_unknown_keys(config, "config", {"layers", "head", "head_scale", "in_channels", "condition_dsp"});
    if (const json::Value *condition = config.find("condition_dsp"); condition && !condition->is_null())
        fail_at("config.condition_dsp", *condition, "not supported (a nested model that conditions the layers)");
    if (const json::Value *head = config.find("head"); head && !head->is_null())
        fail_at("config.head", *head, "a post-stack head is not supported (only null)");
    if (config.find("in_channels")) require_integer(config, "config", "in_channels", 1, 1);
    if (const json::Value *scale = config.find("head_scale")) nam::require_number(*scale, "config.head_scale");

    const json::Value &list = require_array(config, "config", "layers");
    if (list.array().empty() || list.array().size() > static_cast<std::size_t>(kMaxArrays))
        fail_at("config.layers", list,
                "expected 1.." + std::to_string(kMaxArrays) + " layer arrays, got " +
                    std::to_string(list.array().size()));
    std::vector<ArrayShape> arrays;
    for (std::size_t a = 0; a < list.array().size(); ++a)
        arrays.push_back(read_array(list.array()[a], item("config.layers", a)));
    check_chaining(arrays, list);
    const long long expected = weight_count(arrays);
    check_size(arrays, list, expected);

    nam::WeightReader weights(root, expected,
                              "the WaveNet config (" + std::to_string(arrays.size()) + " layer arrays)");
    models::NamWaveNetSpec spec = build(arrays, weights);
    if (!weights.all_taken()) throw std::logic_error("nam WaveNet: weight count and layout disagree");

    LoadedModel loaded;
    nam::describe_file(root, "WaveNet", loaded);
    loaded.parameters = weights.size();
    loaded.config_json = describe(arrays, spec.head_scale);
    loaded.model = std::make_unique<models::NamWaveNet>(std::move(spec));
    return loaded;
}

}  // namespace pedal::formats
