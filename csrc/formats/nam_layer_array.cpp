#include "formats/nam_layer_array.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "formats/json_fields.h"
#include "formats/nam_file.h"

namespace pedal::formats::nam {

namespace {

using models::NamGating;

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
        const json::Value &object = require_object(layer, path, "head");
        refuse_unknown_keys(object, at, {"out_channels", "kernel_size", "bias", "head_dilation"});
        shape.head_size = integer(object, at, "out_channels", kMaxChannels);
        shape.head_kernel = integer(object, at, "kernel_size", kMaxKernel);
        shape.head_bias = require_bool(object, at, "bias");
        if (object.find("head_dilation") && require_integer(object, at, "head_dilation", 1, kMaxDilation) != 1)
            fail_at(member(at, "head_dilation"), *object.find("head_dilation"),
                    "a dilated head is not supported (only 1)");
        return;
    }
    shape.head_size = integer(layer, path, "head_size", kMaxChannels);
    shape.head_bias = require_bool(layer, path, "head_bias");
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
        const bool gated = require_bool(layer, path, "gated");
        for (std::size_t j = 0; j < count; ++j) {
            if (mode && (shape.gating[j] != NamGating::None) != gated)
                fail_at(member(path, "gated"), *flag, "contradicts gating_mode");
            if (!mode) shape.gating[j] = gated ? NamGating::Gated : NamGating::None;
        }
    }
    // A1's gate is a sigmoid; 0.7 names it per layer (null for ungated layers).
    NamedActivation sigmoid;
    sigmoid.pointwise.kind = layers::Pointwise::Kind::Sigmoid;
    sigmoid.name = "Sigmoid";
    shape.secondaries.assign(count, sigmoid);
    const json::Value *secondary = layer.find("secondary_activation");
    if (!secondary || secondary->is_null()) return;
    per_layer(*secondary, member(path, "secondary_activation"), count,
              [&](const json::Value &value, const std::string &p, std::size_t j) {
                  if (shape.gating[j] == NamGating::None) return;  // ignored by every NAM player
                  if (value.is_null()) fail_at(p, value, "a gated or blended layer needs a secondary activation");
                  shape.secondaries[j] = parse_activation(value, p, shape.bottleneck);
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
    refuse_unknown_keys(*value, at, {"active", "shift", "groups"});
    film.active = value->find("active") && require_bool(*value, at, "active");
    if (value->find("shift")) film.shift = require_bool(*value, at, "shift");
    if (value->find("groups")) film.groups = integer(*value, at, "groups", kMaxChannels);
    return film;
}

void read_1x1s(const json::Value &layer, const std::string &path, ArrayShape &shape) {
    if (layer.find("layer1x1")) {
        const std::string at = member(path, "layer1x1");
        const json::Value &object = require_object(layer, path, "layer1x1");
        refuse_unknown_keys(object, at, {"active", "groups"});
        if (object.find("active")) shape.layer1x1 = require_bool(object, at, "active");
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
        const json::Value &object = require_object(layer, path, "head1x1");
        refuse_unknown_keys(object, at, {"active", "out_channels", "groups"});
        shape.head1x1 = object.find("active") && require_bool(object, at, "active");
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
    const json::Value &object = require_object(layer, path, "slimmable");
    refuse_unknown_keys(object, at, {"method", "kwargs"});
    if (require_string(object, at, "method") != "slice_channels_uniform")
        fail_at(member(at, "method"), *object.find("method"), "unknown method; supported: slice_channels_uniform");
    const std::string kwargs_at = member(at, "kwargs");
    const json::Value *kwargs = object.find("kwargs");
    const json::Value *allowed = nullptr;
    if (kwargs && !kwargs->is_null()) {
        if (!kwargs->is_object()) fail_at(kwargs_at, *kwargs, "expected an object");
        // boosting and init_strategy shape training only, not the forward pass.
        refuse_unknown_keys(*kwargs, kwargs_at, {"allowed_channels", "boosting", "init_strategy"});
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

}  // namespace

ArrayShape read_array(const json::Value &layer, const std::string &path) {
    if (!layer.is_object()) fail_at(path, layer, "expected a layer array object");
    refuse_unknown_keys(
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
                  shape.activations[j] = parse_activation(value, p, shape.bottleneck);
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
    refuse_unknown_keys(head, path, {"in_channels", "channels", "activation", "out_channels", "kernel_sizes"});
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
    shape.activation = parse_activation(require(head, path, "activation"), member(path, "activation"), 1);
    if (shape.activation.pointwise.slopes.size() > 1)
        fail_at(member(path, "activation"), head, "per-channel slopes are not supported in the post-stack head");
    return shape;
}

// Array a reads array a-1's residual stream and starts its head sum from

}  // namespace pedal::formats::nam
