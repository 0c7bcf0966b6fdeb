// NAM WaveNet config (spec: formats/nam.md §3-§6, formats/nam-a2.md §3-§5):
// the A1 ("legacy") spelling of 0.5 files and the 0.7 spelling with every
// layer feature of A2: per-layer kernels, activations and gating (none, gated,
// blended), bottleneck, layer1x1 and head1x1 (grouped), grouped convs, FiLM
// at its eight places, array heads with a kernel, a post-stack head,
// condition_dsp and slimmable layer arrays. Where NAM's trainer and NAM Core
// read a file differently, the trainer's reading is taken (nam-a2.md §5).
#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "formats/json_fields.h"
#include "formats/nam.h"
#include "formats/nam_activation.h"
#include "formats/nam_file.h"
#include "formats/nam_layer_array.h"
#include "json/writer.h"
#include "models/nam_wavenet.h"
#include "models/nam_wavenet_planar.h"

namespace pedal::formats {

namespace {

using models::NamGating;
using nam::item;
using nam::member;
using nam::ArrayShape;
using nam::FilmShape;
using nam::HeadShape;
using nam::kFilmKeys;
using nam::read_array;
using nam::read_post_head;

// Far above any published model (A1 standard: 2 arrays, 16 channels, 10
// layers, kernel 3; A2: kernel 15, head kernel 16), low enough that a hostile
// file cannot make a Pi allocate or prewarm for long (the per-array limits are
// in formats/nam_layer_array.h).
constexpr long long kMaxArrays = 16;
constexpr long long kMaxStateFloats = 16ll * 1024 * 1024;  // 64 MiB of history, prewarmed copy included
constexpr long long kMaxReceptiveField = 1ll << 18;         // 5.5 s at 48 kHz of prewarm
constexpr long long kMaxPrewarmWork = 1ll << 31;            // multiply-adds; A1 standard needs 5.6e7

struct NetworkShape {
    std::vector<ArrayShape> arrays;
    std::optional<HeadShape> head;
    std::size_t outputs() const { return head ? head->out : arrays.back().head_size; }
};


// array a-1's head output; every array reads the same condition.
void check_chaining(const NetworkShape &network, const json::Value &list, std::size_t condition) {
    const std::vector<ArrayShape> &arrays = network.arrays;
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
        if (shape.condition_size != condition)
            fail_at(member(shape.path, "condition_size"), *layer.find("condition_size"),
                    std::to_string(shape.condition_size) + " must equal " + std::to_string(condition) +
                        (condition == 1 ? " (the mono input)" : " (the condition_dsp's output channels)"));
        if (a > 0 && shape.head_input() != arrays[a - 1].head_size && !shape.head1x1 &&
            shape.bottleneck == shape.channels)
            fail_at(member(shape.path, "channels"), *layer.find("channels"),
                    std::to_string(shape.channels) + " must equal " + std::to_string(arrays[a - 1].head_size) +
                        ", the head size of config.layers[" + std::to_string(a - 1) +
                        "] (its head output seeds this array's head)");
        if (a > 0 && shape.head_input() != arrays[a - 1].head_size)
            fail_at(shape.path, layer,
                    "its head sums " + std::to_string(shape.head_input()) + " channels but config.layers[" +
                        std::to_string(a - 1) + "]'s head gives " + std::to_string(arrays[a - 1].head_size) +
                        " (that output seeds this array's head sum)");
        if (!shape.allowed_channels.empty() && arrays.size() > 1)
            fail_at(member(shape.path, "slimmable"), *layer.find("slimmable"),
                    "slimmable arrays are supported only in a network of one array");
    }
}

// Stored weights and the multiply-adds a frame costs (grouped convs dense).
struct Count {
    long long stored = 0, work = 0;
    void conv(long long out, long long in, long long kernel, long long groups, bool bias) {
        stored += out * (in / groups) * kernel + (bias ? out : 0);
        work += out * in * kernel;
    }
};

Count weight_count(const NetworkShape &network) {
    Count count;
    for (const ArrayShape &shape : network.arrays) {
        const auto c = static_cast<long long>(shape.channels), b = static_cast<long long>(shape.bottleneck),
                   dc = static_cast<long long>(shape.condition_size);
        count.conv(c, static_cast<long long>(shape.input_size), 1, 1, false);
        for (std::size_t j = 0; j < shape.dilations.size(); ++j) {
            const auto m = static_cast<long long>(shape.width(j));
            count.conv(m, c, static_cast<long long>(shape.kernels[j]), static_cast<long long>(shape.groups_input), true);
            count.conv(m, dc, 1, static_cast<long long>(shape.groups_mixin), false);
            if (shape.layer1x1) count.conv(c, b, 1, static_cast<long long>(shape.layer1x1_groups), true);
            if (shape.head1x1)
                count.conv(static_cast<long long>(shape.head1x1_out), b, 1, static_cast<long long>(shape.head1x1_groups),
                           true);
            for (std::size_t place = 0; place < models::kFilmPlaces; ++place) {
                const FilmShape &film = shape.films[place];
                if (film.active)
                    count.conv((film.shift ? 2 : 1) * static_cast<long long>(shape.film_width(place, j)), dc, 1,
                               static_cast<long long>(film.groups), true);
            }
        }
        count.conv(static_cast<long long>(shape.head_size), static_cast<long long>(shape.head_input()),
                   static_cast<long long>(shape.head_kernel), 1, shape.head_bias);
    }
    if (network.head) {
        long long in = static_cast<long long>(network.arrays.back().head_size);
        for (std::size_t i = 0; i < network.head->kernels.size(); ++i) {
            const bool last = i + 1 == network.head->kernels.size();
            const auto out = static_cast<long long>(last ? network.head->out : network.head->channels);
            count.conv(out, in, static_cast<long long>(network.head->kernels[i]), 1, true);
            in = out;
        }
    }
    count.stored += 1;  // head_scale
    return count;
}

// What History allocates for `lookback` frames (see layers/history.h), twice: live and prewarmed.
long long history_floats(long long lookback, long long channels) {
    const long long chunk_room = 4 * static_cast<long long>(models::kMaxChunk);
    return 2 * (lookback + (lookback > chunk_room ? lookback : chunk_room)) * channels;
}

struct Size {
    long long state = 0, receptive_field = 1, work = 0;
};

Size network_size(const NetworkShape &network) {
    Size size;
    for (const ArrayShape &shape : network.arrays) {
        for (std::size_t j = 0; j < shape.dilations.size(); ++j) {
            const long long lookback =
                (static_cast<long long>(shape.kernels[j]) - 1) * static_cast<long long>(shape.dilations[j]);
            size.state += history_floats(lookback, static_cast<long long>(shape.channels));
            size.receptive_field += lookback;
        }
        size.state += history_floats(static_cast<long long>(shape.head_kernel) - 1,
                                     static_cast<long long>(shape.head_input()));
        size.receptive_field += static_cast<long long>(shape.head_kernel) - 1;
    }
    if (network.head) {
        for (std::size_t kernel : network.head->kernels) {
            size.state += history_floats(static_cast<long long>(kernel) - 1,
                                         static_cast<long long>(std::max(network.head->channels,
                                                                         network.arrays.back().head_size)));
            size.receptive_field += static_cast<long long>(kernel) - 1;
        }
    }
    size.work = weight_count(network).work;
    return size;
}

// Loading runs receptive_field - 1 samples of silence through the network
// (see models/nam_wavenet.cpp), so its size bounds the time a load can take.
void check_size(Size size, const json::Value &list) {
    if (size.state > kMaxStateFloats)
        fail_at("config.layers", list,
                "the network would keep " + std::to_string(size.state / (1024 * 1024 / 4)) +
                    " MiB of history; the limit is " + std::to_string(kMaxStateFloats / (1024 * 1024 / 4)) + " MiB");
    if (size.receptive_field > kMaxReceptiveField)
        fail_at("config.layers", list,
                "receptive field of " + std::to_string(size.receptive_field) + " samples; the limit is " +
                    std::to_string(kMaxReceptiveField));
    if (size.work * (size.receptive_field - 1) > kMaxPrewarmWork)
        fail_at("config.layers", list,
                "too big to prewarm: " + std::to_string(size.work) + " multiply-adds a sample x " +
                    std::to_string(size.receptive_field - 1) + " samples of silence is over the limit of " +
                    std::to_string(kMaxPrewarmWork) + " multiply-adds");
}

models::NamWaveNetSpec build(const NetworkShape &network, nam::WeightReader &weights) {
    models::NamWaveNetSpec spec;
    for (const ArrayShape &shape : network.arrays) {
        models::NamWaveNetArray array;
        const std::size_t c = shape.channels, b = shape.bottleneck, dc = shape.condition_size;
        array.input_size = shape.input_size;
        array.condition_size = dc;
        array.channels = c;
        array.bottleneck = b;
        array.head_size = shape.head_size;
        array.head_kernel = shape.head_kernel;
        array.rechannel_weights = weights.take_conv(c, shape.input_size, 1);
        for (std::size_t j = 0; j < shape.dilations.size(); ++j) {
            models::NamWaveNetLayer layer;
            const std::size_t width = shape.width(j);
            layer.kernel = shape.kernels[j];
            layer.dilation = shape.dilations[j];
            layer.activation = shape.activations[j].pointwise;
            layer.gating = shape.gating[j];
            layer.secondary = shape.secondaries[j].pointwise;
            layer.conv_weights = weights.take_grouped_conv(width, c, layer.kernel, shape.groups_input);
            layer.conv_bias = weights.take(width);
            layer.mixin_weights = weights.take_grouped_conv(width, dc, 1, shape.groups_mixin);
            layer.layer1x1 = shape.layer1x1;
            if (shape.layer1x1) {
                layer.layer1x1_weights = weights.take_grouped_conv(c, b, 1, shape.layer1x1_groups);
                layer.layer1x1_bias = weights.take(c);
            }
            if (shape.head1x1) {
                layer.head1x1_out = shape.head1x1_out;
                layer.head1x1_weights = weights.take_grouped_conv(shape.head1x1_out, b, 1, shape.head1x1_groups);
                layer.head1x1_bias = weights.take(shape.head1x1_out);
            }
            for (std::size_t place = 0; place < models::kFilmPlaces; ++place) {
                const FilmShape &film_shape = shape.films[place];
                if (!film_shape.active) continue;
                models::NamFilm &film = layer.films[place];
                film.active = true;
                film.shift = film_shape.shift;
                film.width = shape.film_width(place, j);
                const std::size_t rows = (film.shift ? 2 : 1) * film.width;
                film.weights = weights.take_grouped_conv(rows, dc, 1, film_shape.groups);
                film.bias = weights.take(rows);
            }
            array.layers.push_back(std::move(layer));
        }
        array.head_weights = weights.take_conv(shape.head_size, shape.head_input(), shape.head_kernel);
        if (shape.head_bias) array.head_bias = weights.take(shape.head_size);
        spec.arrays.push_back(std::move(array));
    }
    if (network.head) {
        std::size_t in = network.arrays.back().head_size;
        for (std::size_t i = 0; i < network.head->kernels.size(); ++i) {
            models::NamHeadBlock block;
            block.activation = network.head->activation.pointwise;
            block.in = in;
            block.out = i + 1 == network.head->kernels.size() ? network.head->out : network.head->channels;
            block.kernel = network.head->kernels[i];
            block.weights = weights.take_conv(block.out, block.in, block.kernel);
            block.bias = weights.take(block.out);
            spec.head.push_back(std::move(block));
            in = block.out;
        }
    }
    // The config's head_scale is a rounded copy; the last weight is what was trained.
    spec.head_scale = weights.take_one();
    return spec;
}

// The first `in2` inputs and `out2` outputs of [kernel][in][out] weights.
std::vector<float> leading(const std::vector<float> &weights, std::size_t kernel, std::size_t in, std::size_t out,
                           std::size_t in2, std::size_t out2) {
    std::vector<float> sliced(kernel * in2 * out2);
    for (std::size_t k = 0; k < kernel; ++k)
        for (std::size_t i = 0; i < in2; ++i)
            for (std::size_t o = 0; o < out2; ++o) sliced[(k * in2 + i) * out2 + o] = weights[(k * in + i) * out + o];
    return sliced;
}

// A slimmable array at `width`, as the trainer slices it: the residual
// channels and the bottleneck both become `width`, every tensor cut to its
// leading rows and columns (2 * width rows for a paired layer's conv, whose
// halves are then split there), the head's outputs kept.
void slim(models::NamWaveNetArray &array, std::size_t width) {
    const std::size_t c = array.channels, b = array.bottleneck;
    array.rechannel_weights = leading(array.rechannel_weights, 1, array.input_size, c, array.input_size, width);
    for (models::NamWaveNetLayer &layer : array.layers) {
        const std::size_t rows = layer.gating == NamGating::None ? b : 2 * b;
        const std::size_t rows2 = layer.gating == NamGating::None ? width : 2 * width;
        layer.conv_weights = leading(layer.conv_weights, layer.kernel, c, rows, width, rows2);
        layer.conv_bias.resize(rows2);
        layer.mixin_weights = leading(layer.mixin_weights, 1, array.condition_size, rows, array.condition_size, rows2);
        layer.layer1x1_weights = leading(layer.layer1x1_weights, 1, b, c, width, width);
        layer.layer1x1_bias.resize(width);
    }
    array.head_weights = leading(array.head_weights, 1, b, array.head_size, width, array.head_size);
    array.channels = array.bottleneck = width;
}

std::size_t parameter_count(const models::NamWaveNetSpec &spec) {
    std::size_t count = 1;  // head_scale
    for (const models::NamWaveNetArray &array : spec.arrays) {
        count += array.rechannel_weights.size() + array.head_weights.size() + array.head_bias.size();
        for (const models::NamWaveNetLayer &layer : array.layers)
            count += layer.conv_weights.size() + layer.conv_bias.size() + layer.mixin_weights.size() +
                     layer.layer1x1_weights.size() + layer.layer1x1_bias.size();
    }
    for (const models::NamHeadBlock &block : spec.head) count += block.weights.size() + block.bias.size();
    return count;
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

const char *gating_name(NamGating gating) {
    return gating == NamGating::Gated ? "gated" : gating == NamGating::Blended ? "blended" : "none";
}

std::string describe(const NetworkShape &network, float head_scale, bool conditioned) {
    std::string list = "[";
    for (std::size_t a = 0; a < network.arrays.size(); ++a) {
        const ArrayShape &shape = network.arrays[a];
        json::ObjectWriter array;
        array.integer("input_size", static_cast<long long>(shape.input_size))
            .integer("channels", static_cast<long long>(shape.channels))
            .integer("bottleneck", static_cast<long long>(shape.bottleneck))
            .integers("kernel_sizes", shape.kernels)
            .integers("dilations", shape.dilations)
            .raw("activation", per_layer_json(shape, [&](std::size_t j) {
                     return json::ObjectWriter::quote(shape.activations[j].name);
                 }))
            .raw("gated", per_layer_json(shape, [&](std::size_t j) {
                     return std::string(shape.gating[j] == NamGating::Gated ? "true" : "false");
                 }))
            .raw("gating_mode", per_layer_json(shape, [&](std::size_t j) {
                     return json::ObjectWriter::quote(gating_name(shape.gating[j]));
                 }))
            .integer("head_size", static_cast<long long>(shape.head_size))
            .integer("head_kernel_size", static_cast<long long>(shape.head_kernel))
            .raw("head_bias", shape.head_bias ? "true" : "false");
        std::string films = "[";
        for (std::size_t place = 0; place < models::kFilmPlaces; ++place)
            if (shape.films[place].active) films += (films.size() > 1 ? "," : "") + json::ObjectWriter::quote(kFilmKeys[place]);
        array.raw("film", films + "]")
            .raw("layer1x1", shape.layer1x1 ? "true" : "false")
            .integer("head1x1_out_channels", static_cast<long long>(shape.head1x1_out))
            .integer("groups_input", static_cast<long long>(shape.groups_input));
        if (!shape.allowed_channels.empty()) array.integers("slimmable_channels", shape.allowed_channels);
        list += (a ? "," : "") + array.str();
    }
    json::ObjectWriter out;
    out.raw("layer_arrays", list + "]").number("head_scale", head_scale);
    if (network.head)
        out.raw("head", json::ObjectWriter()
                            .integer("channels", static_cast<long long>(network.head->channels))
                            .text("activation", network.head->activation.name)
                            .integer("out_channels", static_cast<long long>(network.head->out))
                            .integers("kernel_sizes", network.head->kernels)
                            .str());
    out.raw("condition_dsp", conditioned ? "true" : "false");
    return out.str();
}

struct Network {
    NetworkShape shape;
    models::NamWaveNetSpec spec;
    std::size_t parameters = 0;
    long long receptive_field = 1;
};

// A WaveNet document (the file, or its condition_dsp) whose last head gives
// `outputs` channels (0: as many as the next level's condition needs).
Network read_network(const json::Value &root, std::size_t outputs, std::size_t depth) {
    const json::Value &config = nam::require_object(root, "", "config");
    nam::refuse_unknown_keys(config, "config", {"layers", "head", "head_scale", "in_channels", "condition_dsp"});
    if (config.find("in_channels")) require_integer(config, "config", "in_channels", 1, 1);
    if (const json::Value *scale = config.find("head_scale")) nam::require_number(*scale, "config.head_scale");

    // condition_dsp: a nested WaveNet making the layers' condition (nam-a2.md §3).
    Network condition;
    bool conditioned = false;
    if (const json::Value *nested = config.find("condition_dsp"); nested && !nested->is_null()) {
        const std::string at = "config.condition_dsp";
        if (!nested->is_object() || !is_nam(*nested)) fail_at(at, *nested, "expected a .nam WaveNet document");
        if (depth > 0) fail_at(at, *nested, "a condition_dsp inside a condition_dsp is not supported");
        try {
            if (nam_architecture(*nested) != "WaveNet")
                fail_at("architecture", *nested->find("architecture"), "a condition_dsp must be a WaveNet");
            LoadedModel rate;
            nam::describe_file(*nested, "WaveNet", rate);
            LoadedModel outer;
            nam::describe_file(root, "WaveNet", outer);
            if (rate.sample_rate != outer.sample_rate)
                fail_at("sample_rate", nested->find("sample_rate") ? *nested->find("sample_rate") : *nested,
                        "the condition_dsp runs at " + std::to_string(static_cast<long long>(rate.sample_rate)) +
                            " Hz but the model at " + std::to_string(static_cast<long long>(outer.sample_rate)) + " Hz");
            condition = read_network(*nested, 0, depth + 1);
        } catch (const FormatError &problem) {
            nam::rethrow_inside(at, problem);
        }
        conditioned = true;
    }

    const json::Value &list = require_array(config, "config", "layers");
    if (list.array().empty() || list.array().size() > static_cast<std::size_t>(kMaxArrays))
        fail_at("config.layers", list,
                "expected 1.." + std::to_string(kMaxArrays) + " layer arrays, got " +
                    std::to_string(list.array().size()));
    Network network;
    for (std::size_t a = 0; a < list.array().size(); ++a)
        network.shape.arrays.push_back(read_array(list.array()[a], item("config.layers", a)));
    const std::size_t condition_width = conditioned ? condition.shape.outputs() : 1;
    check_chaining(network.shape, list, condition_width);
    if (const json::Value *head = config.find("head"); head && !head->is_null())
        network.shape.head = read_post_head(*head, "config.head", network.shape.arrays.back().head_size);
    if (outputs == 0) outputs = network.shape.outputs();  // a condition_dsp: checked by its owner
    if (network.shape.outputs() != outputs)
        fail_at(network.shape.head ? "config.head.out_channels" : network.shape.arrays.back().path,
                network.shape.head ? *config.find("head") : list.array().back(),
                "the network's output must be " + std::to_string(outputs) + " channel" + (outputs == 1 ? "" : "s") +
                    " (the mono output), got " + std::to_string(network.shape.outputs()));

    Size size = network_size(network.shape);
    if (conditioned) {
        size.receptive_field += condition.receptive_field - 1;
        size.work += weight_count(condition.shape).work;
    }
    check_size(size, list);
    const Count expected = weight_count(network.shape);
    nam::WeightReader weights(root, expected.stored,
                              "the WaveNet config (" + std::to_string(network.shape.arrays.size()) + " layer arrays)");
    network.spec = build(network.shape, weights);
    if (!weights.all_taken()) throw std::logic_error("nam WaveNet: weight count and layout disagree");
    network.parameters = weights.size() + (conditioned ? condition.parameters : 0);
    network.receptive_field = size.receptive_field;
    if (conditioned) {
        network.spec.condition = std::make_unique<models::NamWaveNetSpec>(std::move(condition.spec));
        // The nested network's described shape is not kept: info says a condition_dsp is there.
    }
    return network;
}

}  // namespace

LoadedModel load_nam_wavenet(const json::Value &root, const LoadOptions &options) {
    Network network = read_network(root, 1, 0);
    LoadedModel loaded;
    nam::describe_file(root, "WaveNet", loaded);
    loaded.parameters = network.parameters;
    loaded.config_json = describe(network.shape, network.spec.head_scale, network.spec.condition != nullptr);

    // A slimmable array plays at the width the size picks; width i of n plays up to (i + 1) / n.
    const std::vector<std::size_t> &allowed = network.shape.arrays.front().allowed_channels;
    if (!allowed.empty()) {
        std::vector<double> max_values;
        for (std::size_t i = 0; i < allowed.size(); ++i) {
            max_values.push_back(static_cast<double>(i + 1) / static_cast<double>(allowed.size()));
            models::NamWaveNetArray sliced = network.spec.arrays.front();  // copies: only to count
            slim(sliced, allowed[i]);
            models::NamWaveNetSpec counted;
            counted.arrays.push_back(std::move(sliced));
            for (const models::NamHeadBlock &block : network.spec.head)
                counted.head.push_back(block);
            loaded.submodels.push_back({max_values.back(), "WaveNet", parameter_count(counted),
                                        static_cast<std::size_t>(network.receptive_field)});
        }
        loaded.playing = submodel_for_size(max_values, options.size);
        loaded.size = options.size;
        slim(network.spec.arrays.front(), allowed[loaded.playing]);
        loaded.parameters = loaded.submodels[loaded.playing].parameters;
    }
    loaded.model = models::make_nam_wavenet(std::move(network.spec));
    return loaded;
}

}  // namespace pedal::formats
