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
#include "json/writer.h"
#include "models/nam_wavenet.h"

namespace pedal::formats {

namespace {

using models::NamGating;
using nam::item;
using nam::member;

// Far above any published model (A1 standard: 2 arrays, 16 channels, 10
// layers, kernel 3; A2: kernel 15, head kernel 16), low enough that a hostile
// file cannot make a Pi allocate or prewarm for long.
constexpr long long kMaxArrays = 16;
constexpr long long kMaxChannels = 256;
constexpr long long kMaxKernel = 64;
constexpr long long kMaxLayers = 256;
constexpr long long kMaxDilation = 65536;
constexpr long long kMaxHeadBlocks = 16;
constexpr long long kMaxStateFloats = 16ll * 1024 * 1024;  // 64 MiB of history, prewarmed copy included
constexpr long long kMaxReceptiveField = 1ll << 18;         // 5.5 s at 48 kHz of prewarm
constexpr long long kMaxPrewarmWork = 1ll << 31;            // multiply-adds; A1 standard needs 5.6e7

// The FiLM keys in the file, in models::NamFilmPlace order (the weights' order).
const char *const kFilmKeys[] = {"conv_pre_film",        "conv_post_film",       "input_mixin_pre_film",
                                 "input_mixin_post_film", "activation_pre_film", "activation_post_film",
                                 "layer1x1_post_film",   "head1x1_post_film"};

struct FilmShape {
    bool active = false, shift = true;
    std::size_t groups = 1;
};

// One layer array's shape, checked, before any weight is read.
struct ArrayShape {
    std::string path;
    std::size_t input_size = 1, condition_size = 1, channels = 0, bottleneck = 0;
    std::size_t head_size = 0, head_kernel = 1;
    bool head_bias = false;
    std::vector<std::size_t> kernels, dilations;
    std::vector<nam::NamedActivation> activations, secondaries;
    std::vector<NamGating> gating;
    bool layer1x1 = true, head1x1 = false;
    std::size_t layer1x1_groups = 1, head1x1_out = 0, head1x1_groups = 1;
    std::size_t groups_input = 1, groups_mixin = 1;
    std::array<FilmShape, models::kFilmPlaces> films;
    std::vector<std::size_t> allowed_channels;  // slimmable widths; empty: not slimmable

    std::size_t width(std::size_t j) const { return gating[j] == NamGating::None ? bottleneck : 2 * bottleneck; }
    std::size_t head_input() const { return head1x1 ? head1x1_out : bottleneck; }
    // The channels a FiLM at `place` modulates in layer j.
    std::size_t film_width(std::size_t place, std::size_t j) const {
        switch (place) {
            case models::kConvPre: case models::kLayer1x1Post: return channels;
            case models::kMixinPre: return condition_size;
            case models::kActivationPost: return bottleneck;
            case models::kHead1x1Post: return head1x1_out;
            default: return width(j);  // conv_post, input_mixin_post, activation_pre
        }
    }
};

struct HeadShape {
    std::size_t channels = 0, out = 0;
    std::vector<std::size_t> kernels;
    nam::NamedActivation activation;
};

struct NetworkShape {
    std::vector<ArrayShape> arrays;
    std::optional<HeadShape> head;
    std::size_t outputs() const { return head ? head->out : arrays.back().head_size; }
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

// A group count that must divide each of `widths` (named for the message).
void check_groups(std::size_t groups, const json::Value &at, const std::string &path,
                  std::initializer_list<std::pair<const char *, std::size_t>> widths) {
    for (const auto &[name, width] : widths)
        if (width % groups != 0)
            fail_at(path, at, std::to_string(groups) + " groups do not divide " + name + " (" +
                                  std::to_string(width) + ")");
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
    if (!list && single && single->is_array()) list = single;  // the trainer's own spelling of a list
    if (!list) {
        shape.kernels.assign(count, integer(layer, path, "kernel_size", kMaxKernel));
        return;
    }
    const std::string at = member(path, single ? "kernel_size" : "kernel_sizes");
    if (!list->is_array()) fail_at(at, *list, "expected an array of kernel sizes");
    shape.kernels.resize(count);
    per_layer(*list, at, count, [&](const json::Value &value, const std::string &p, std::size_t j) {
        shape.kernels[j] = static_cast<std::size_t>(require_integer(value, p, 1, kMaxKernel));
    });
}

void read_gating(const json::Value &layer, const std::string &path, ArrayShape &shape) {
    const std::size_t count = shape.dilations.size();
    shape.gating.assign(count, NamGating::None);
    const json::Value *mode = layer.find("gating_mode");
    const json::Value *flag = layer.find("gated");
    if (mode) {
        per_layer(*mode, member(path, "gating_mode"), count,
                  [&](const json::Value &value, const std::string &p, std::size_t j) {
                      const std::string name = value.is_string() ? value.string() : "";
                      if (name == "gated") {
                          shape.gating[j] = NamGating::Gated;
                      } else if (name == "blended") {
                          shape.gating[j] = NamGating::Blended;
                      } else if (name != "none") {
                          fail_at(p, value, "unknown gating_mode; expected \"none\", \"gated\" or \"blended\"");
                      }
                  });
    }
    if (flag) {
        const bool gated = nam::require_bool(layer, path, "gated");
        for (std::size_t j = 0; j < count; ++j) {
            if (mode && (shape.gating[j] != NamGating::None) != gated)
                fail_at(member(path, "gated"), *flag, "contradicts gating_mode");
            if (!mode) shape.gating[j] = gated ? NamGating::Gated : NamGating::None;
        }
    }
    // A1's gate is a sigmoid; 0.7 names it per layer (null for ungated layers).
    nam::NamedActivation sigmoid;
    sigmoid.pointwise.kind = layers::Pointwise::Kind::Sigmoid;
    sigmoid.name = "Sigmoid";
    shape.secondaries.assign(count, sigmoid);
    const json::Value *secondary = layer.find("secondary_activation");
    if (!secondary || secondary->is_null()) return;
    per_layer(*secondary, member(path, "secondary_activation"), count,
              [&](const json::Value &value, const std::string &p, std::size_t j) {
                  if (shape.gating[j] == NamGating::None) return;  // ignored by every NAM player
                  if (value.is_null()) fail_at(p, value, "a gated or blended layer needs a secondary activation");
                  shape.secondaries[j] = nam::parse_activation(value, p, shape.bottleneck);
              });
}

// `false`/`null`, or {"active", "shift", "groups"}; a missing "active" is
// false, as NAM's trainer reads it (NAM Core reads it as true: nam-a2.md §5).
FilmShape read_film(const json::Value &layer, const std::string &path, const char *key) {
    FilmShape film;
    const json::Value *value = layer.find(key);
    if (!value || value->is_null() || (value->is_bool() && !value->boolean())) return film;
    const std::string at = member(path, key);
    if (!value->is_object()) fail_at(at, *value, "expected false or an object {\"active\", \"shift\", \"groups\"}");
    nam::refuse_unknown_keys(*value, at, {"active", "shift", "groups"});
    film.active = value->find("active") && nam::require_bool(*value, at, "active");
    if (value->find("shift")) film.shift = nam::require_bool(*value, at, "shift");
    if (value->find("groups")) film.groups = integer(*value, at, "groups", kMaxChannels);
    return film;
}

void read_1x1s(const json::Value &layer, const std::string &path, ArrayShape &shape) {
    if (layer.find("layer1x1")) {
        const std::string at = member(path, "layer1x1");
        const json::Value &object = nam::require_object(layer, path, "layer1x1");
        nam::refuse_unknown_keys(object, at, {"active", "groups"});
        if (object.find("active")) shape.layer1x1 = nam::require_bool(object, at, "active");
        if (object.find("groups")) shape.layer1x1_groups = integer(object, at, "groups", kMaxChannels);
        if (shape.layer1x1)
            check_groups(shape.layer1x1_groups, object, member(at, "groups"),
                         {{"bottleneck", shape.bottleneck}, {"channels", shape.channels}});
        else if (shape.bottleneck != shape.channels)
            fail_at(member(at, "active"), object,
                    "without a layer1x1 the activation is added to the residual, so bottleneck (" +
                        std::to_string(shape.bottleneck) + ") must equal channels (" + std::to_string(shape.channels) +
                        ")");
    }
    if (layer.find("head1x1")) {
        const std::string at = member(path, "head1x1");
        const json::Value &object = nam::require_object(layer, path, "head1x1");
        nam::refuse_unknown_keys(object, at, {"active", "out_channels", "groups"});
        shape.head1x1 = object.find("active") && nam::require_bool(object, at, "active");
        if (shape.head1x1) {
            shape.head1x1_out = integer(object, at, "out_channels", kMaxChannels);
            if (object.find("groups")) shape.head1x1_groups = integer(object, at, "groups", kMaxChannels);
            check_groups(shape.head1x1_groups, object, member(at, "groups"),
                         {{"bottleneck", shape.bottleneck}, {"head1x1.out_channels", shape.head1x1_out}});
        }
    }
}

void read_films(const json::Value &layer, const std::string &path, ArrayShape &shape) {
    for (std::size_t place = 0; place < models::kFilmPlaces; ++place) {
        shape.films[place] = read_film(layer, path, kFilmKeys[place]);
        const FilmShape &film = shape.films[place];
        if (!film.active) continue;
        const std::string at = member(path, kFilmKeys[place]);
        if (place == models::kLayer1x1Post && !shape.layer1x1)
            fail_at(at, *layer.find(kFilmKeys[place]), "a FiLM after the layer1x1 needs an active layer1x1");
        if (place == models::kHead1x1Post && !shape.head1x1)
            fail_at(at, *layer.find(kFilmKeys[place]), "a FiLM after the head1x1 needs an active head1x1");
        for (std::size_t j = 0; j < shape.dilations.size(); ++j)
            check_groups(film.groups, *layer.find(kFilmKeys[place]), member(at, "groups"),
                         {{"condition_size", shape.condition_size},
                          {"the FiLM's rows", (film.shift ? 2 : 1) * shape.film_width(place, j)}});
    }
}

// {"method": "slice_channels_uniform", "kwargs": {"allowed_channels": [...]}}:
// the array plays at one of several widths (nam-a2.md §2).
void read_slimmable(const json::Value &layer, const std::string &path, ArrayShape &shape) {
    const json::Value *slimmable = layer.find("slimmable");
    if (!slimmable || slimmable->is_null()) return;
    const std::string at = member(path, "slimmable");
    const json::Value &object = nam::require_object(layer, path, "slimmable");
    nam::refuse_unknown_keys(object, at, {"method", "kwargs"});
    if (require_string(object, at, "method") != "slice_channels_uniform")
        fail_at(member(at, "method"), *object.find("method"), "unknown method; supported: slice_channels_uniform");
    const std::string kwargs_at = member(at, "kwargs");
    const json::Value *kwargs = object.find("kwargs");
    const json::Value *allowed = nullptr;
    if (kwargs && !kwargs->is_null()) {
        if (!kwargs->is_object()) fail_at(kwargs_at, *kwargs, "expected an object");
        // boosting and init_strategy shape training only, not the forward pass.
        nam::refuse_unknown_keys(*kwargs, kwargs_at, {"allowed_channels", "boosting", "init_strategy"});
        allowed = kwargs->find("allowed_channels");
    }
    // Each width slims the residual channels and the bottleneck alike, so it fits both.
    const std::size_t widest = std::min(shape.channels, shape.bottleneck);
    if (allowed && !allowed->is_null()) {
        const std::string list_at = member(kwargs_at, "allowed_channels");
        if (!allowed->is_array() || allowed->array().empty() || allowed->array().size() > widest)
            fail_at(list_at, *allowed, "expected 1.." + std::to_string(widest) + " channel counts");
        for (std::size_t i = 0; i < allowed->array().size(); ++i) {
            const auto width = static_cast<std::size_t>(require_integer(
                allowed->array()[i], item(list_at, i), 1, static_cast<long long>(widest)));
            for (std::size_t earlier : shape.allowed_channels)
                if (earlier == width) fail_at(item(list_at, i), allowed->array()[i], "listed twice");
            shape.allowed_channels.push_back(width);
        }
    } else if (shape.bottleneck != shape.channels) {
        fail_at(at, *slimmable, "with a bottleneck other than channels, give kwargs.allowed_channels");
    } else {
        for (std::size_t width = 1; width <= shape.channels; ++width) shape.allowed_channels.push_back(width);
    }
    // What the trainer can slim (its _validate_slimmable_config): one plain array.
    auto refuse = [&](const char *what) { fail_at(at, *slimmable, std::string("a slimmable array ") + what); };
    if (shape.groups_input != 1 || shape.groups_mixin != 1 || shape.layer1x1_groups != 1)
        refuse("cannot have grouped convolutions");
    if (shape.head1x1) refuse("cannot have a head1x1");
    if (shape.head_kernel != 1) refuse("needs a head kernel_size of 1");
    if (!shape.layer1x1) refuse("needs a layer1x1");
    for (const FilmShape &film : shape.films)
        if (film.active) refuse("cannot have FiLM");
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
    shape.condition_size = integer(layer, path, "condition_size", kMaxChannels);
    shape.channels = integer(layer, path, "channels", kMaxChannels);
    shape.bottleneck = shape.channels;
    // B may be narrower or wider than C (NAM Core's wavenet_a2_max.nam widens):
    // the layer1x1 brings it back to C. Without one, read_1x1s insists on B == C.
    if (layer.find("bottleneck")) shape.bottleneck = integer(layer, path, "bottleneck", kMaxChannels);

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
    read_gating(layer, path, shape);
    shape.activations.resize(count);
    per_layer(require(layer, path, "activation"), member(path, "activation"), count,
              [&](const json::Value &value, const std::string &p, std::size_t j) {
                  shape.activations[j] = nam::parse_activation(value, p, shape.bottleneck);
              });
    if (layer.find("groups_input")) {
        shape.groups_input = integer(layer, path, "groups_input", kMaxChannels);
        for (std::size_t j = 0; j < count; ++j)
            check_groups(shape.groups_input, *layer.find("groups_input"), member(path, "groups_input"),
                         {{"channels", shape.channels}, {"the conv's rows", shape.width(j)}});
    }
    if (layer.find("groups_input_mixin")) {
        shape.groups_mixin = integer(layer, path, "groups_input_mixin", kMaxChannels);
        for (std::size_t j = 0; j < count; ++j)
            check_groups(shape.groups_mixin, *layer.find("groups_input_mixin"), member(path, "groups_input_mixin"),
                         {{"condition_size", shape.condition_size}, {"the conv's rows", shape.width(j)}});
    }
    read_1x1s(layer, path, shape);
    read_films(layer, path, shape);
    read_slimmable(layer, path, shape);
    return shape;
}

// {"channels", "activation", "out_channels", "kernel_sizes"}: blocks of
// activation -> conv after the last array's head (nam-a2.md §3).
HeadShape read_post_head(const json::Value &head, const std::string &path, std::size_t in) {
    if (!head.is_object()) fail_at(path, head, "expected null or a head object");
    nam::refuse_unknown_keys(head, path, {"in_channels", "channels", "activation", "out_channels", "kernel_sizes"});
    HeadShape shape;
    if (head.find("in_channels") && integer(head, path, "in_channels", kMaxChannels) != in)
        fail_at(member(path, "in_channels"), *head.find("in_channels"),
                "must equal the last layer array's head out_channels (" + std::to_string(in) + ")");
    shape.channels = integer(head, path, "channels", kMaxChannels);
    shape.out = integer(head, path, "out_channels", kMaxChannels);
    const json::Value &kernels = require_array(head, path, "kernel_sizes");
    const std::string at = member(path, "kernel_sizes");
    if (kernels.array().empty() || kernels.array().size() > static_cast<std::size_t>(kMaxHeadBlocks))
        fail_at(at, kernels, "expected 1.." + std::to_string(kMaxHeadBlocks) + " kernel sizes (one per block)");
    for (std::size_t i = 0; i < kernels.array().size(); ++i)
        shape.kernels.push_back(static_cast<std::size_t>(require_integer(kernels.array()[i], item(at, i), 1, kMaxKernel)));
    shape.activation = nam::parse_activation(require(head, path, "activation"), member(path, "activation"), 1);
    if (shape.activation.pointwise.slopes.size() > 1)
        fail_at(member(path, "activation"), head, "per-channel slopes are not supported in the post-stack head");
    return shape;
}

// Array a reads array a-1's residual stream and starts its head sum from
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
    loaded.model = std::make_unique<models::NamWaveNet>(std::move(network.spec));
    return loaded;
}

}  // namespace pedal::formats
