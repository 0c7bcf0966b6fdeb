#include "formats/pedalnet.h"

#include <map>
#include <utility>

#include "formats/json_fields.h"
#include "json/writer.h"
#include "models/gated_wavenet.h"

namespace pedal::formats {

namespace {

using Activation = models::GatedWaveNetSpec::Activation;

// Bounds far above any published model, low enough that a hostile file cannot
// ask for more memory than a Pi has.
constexpr long long kMaxChannels = 256;
constexpr long long kMaxKernel = 64;
constexpr long long kMaxLayers = 256;
constexpr long long kMaxDilation = 65536;
constexpr long long kMaxStateFloats = 4ll * 1024 * 1024;  // 16 MiB of history, 100x any real capture

// No sample rate is stored; every known file was trained at 44.1 kHz (spec §1).
constexpr double kSampleRate = 44100.0;

const std::pair<const char *, Activation> kActivations[] = {
    {"gated", Activation::Gated},       {"softgated", Activation::Softgated}, {"tanh", Activation::Tanh},
    {"sigmoid", Activation::Sigmoid},   {"relu", Activation::ReLU},           {"softsign", Activation::Softsign},
    {"linear", Activation::Linear},
};

Activation parse_activation(const json::Value &root) {
    const std::string &name = require_string(root, "", "activation");
    std::vector<std::string> supported;
    for (const auto &[known, kind] : kActivations) {
        if (name == known) return kind;
        supported.emplace_back(known);
    }
    fail_at("activation", require(root, "", "activation"),
            "unsupported pedalnet activation '" + name + "'; supported: " + join(supported));
}

// The weights of one model, found by (layer_idx, name) whatever their order.
class Variables {
public:
    Variables(const json::Value &root, long long layer_count) {
        const json::Value &list = require_array(root, "", "variables");
        const auto &items = list.array();
        for (std::size_t i = 0; i < items.size(); ++i) {
            const std::string path = "variables[" + std::to_string(i) + "]";
            const json::Value &entry = items[i];
            if (!entry.is_object()) fail_at(path, entry, "expected an object with layer_idx, name and data");
            const long long layer = require_integer(entry, path, "layer_idx", -1, layer_count);
            std::string name = require_string(entry, path, "name");
            name = canonical(layer, layer_count, name);
            if (name.empty()) fail_at(path + ".name", require(entry, path, "name"),
                                      "unknown variable \"" + require_string(entry, path, "name") + "\" for layer_idx " +
                                          std::to_string(layer));
            const json::Value &data = require_array(entry, path, "data");
            if (!found_.emplace(std::make_pair(layer, name), Found{&data, path + ".data"}).second)
                fail_at(path, entry, "duplicate variable \"" + name + "\" for layer_idx " + std::to_string(layer));
        }
        list_ = &list;
    }

    std::vector<float> take(long long layer, const std::string &name, std::size_t expected, const std::string &shape) {
        auto it = found_.find({layer, name});
        if (it == found_.end())
            fail_at("variables", *list_, "missing variable \"" + name + "\" for layer_idx " + std::to_string(layer));
        return read_weights(*it->second.data, it->second.path, expected, "layer_idx " + std::to_string(layer) + " \"" +
                                                                              name + "\" " + shape);
    }

private:
    // Hidden layers may call their conv "W"/"b" (WaveNetVA) or "W_conv"/"b_conv"
    // (PedalNetRT); returns "" for a name that has no meaning at that index.
    static std::string canonical(long long layer, long long layer_count, const std::string &name) {
        const bool hidden = layer >= 0 && layer < layer_count;
        if (!hidden) return name == "W" || name == "b" ? name : "";
        if (name == "W" || name == "W_conv") return "W_conv";
        if (name == "b" || name == "b_conv") return "b_conv";
        if (name == "W_out" || name == "b_out") return name;
        return "";
    }

    struct Found {
        const json::Value *data;
        std::string path;
    };
    std::map<std::pair<long long, std::string>, Found> found_;
    const json::Value *list_ = nullptr;
};

std::string shape(std::initializer_list<std::size_t> dims) {
    std::string out = "(";
    for (std::size_t d : dims) out += (out.size() > 1 ? ", " : "") + std::to_string(d);
    return out + ")";
}

const char *activation_name(Activation kind) {
    for (const auto &[name, known] : kActivations)
        if (known == kind) return name;
    return "?";
}

}  // namespace

bool is_pedalnet(const json::Value &root) {
    return root.is_object() && root.find("dilations") && root.find("variables");
}

LoadedModel load_pedalnet(const json::Value &root) {
    for (const char *key : {"input_channels", "output_channels"}) {
        if (root.find(key)) require_integer(root, "", key, 1, 1);  // the pedal is mono
    }
    models::GatedWaveNetSpec spec;
    spec.channels = static_cast<std::size_t>(require_integer(root, "", "residual_channels", 1, kMaxChannels));
    spec.kernel = static_cast<std::size_t>(require_integer(root, "", "filter_width", 1, kMaxKernel));
    spec.activation = parse_activation(root);

    const json::Value &dilation_list = require_array(root, "", "dilations");
    const auto &dilation_items = dilation_list.array();
    if (dilation_items.empty() || dilation_items.size() > static_cast<std::size_t>(kMaxLayers))
        fail_at("dilations", dilation_list,
                "expected 1.." + std::to_string(kMaxLayers) + " layers, got " + std::to_string(dilation_items.size()));
    std::vector<std::size_t> dilations;
    long long lookback_frames = 0;
    for (std::size_t n = 0; n < dilation_items.size(); ++n) {
        const long long d = require_integer(dilation_items[n], "dilations[" + std::to_string(n) + "]", 1, kMaxDilation);
        dilations.push_back(static_cast<std::size_t>(d));
        lookback_frames += (static_cast<long long>(spec.kernel) - 1) * d + 1;
    }
    const long long state_floats = lookback_frames * static_cast<long long>(spec.channels);
    if (state_floats > kMaxStateFloats)
        fail_at("dilations", dilation_list,
                "the network would keep " + std::to_string(state_floats / (1024 * 1024 / 4)) +
                    " MiB of history; the limit is " + std::to_string(kMaxStateFloats / (1024 * 1024 / 4)) + " MiB");

    const std::size_t channels = spec.channels, kernel = spec.kernel, width = spec.conv_width();
    const long long layer_count = static_cast<long long>(dilations.size());
    Variables variables(root, layer_count);
    spec.input_weights = variables.take(-1, "W", channels, "input kernel " + shape({1, 1, channels}));
    spec.input_bias = variables.take(-1, "b", channels, "input bias " + shape({channels}));
    for (long long n = 0; n < layer_count; ++n) {
        models::GatedWaveNetLayer layer;
        layer.dilation = dilations[static_cast<std::size_t>(n)];
        layer.conv_weights = variables.take(n, "W_conv", kernel * channels * width,
                                            "kernel " + shape({kernel, channels, width}));
        layer.conv_bias = variables.take(n, "b_conv", width, "bias " + shape({width}));
        layer.residual_weights = variables.take(n, "W_out", channels * channels,
                                                "kernel " + shape({1, channels, channels}));
        layer.residual_bias = variables.take(n, "b_out", channels, "bias " + shape({channels}));
        spec.layers.push_back(std::move(layer));
    }
    const std::size_t mix_inputs = dilations.size() * channels;
    spec.mix_weights = variables.take(layer_count, "W", mix_inputs, "mix kernel " + shape({1, mix_inputs, 1}));
    spec.mix_bias = variables.take(layer_count, "b", 1, "mix bias (1)")[0];

    LoadedModel loaded;
    loaded.format = "pedalnet";
    loaded.architecture = "WaveNet";
    loaded.sample_rate = kSampleRate;
    loaded.parameters = channels + channels + dilations.size() * (kernel * channels * width + width + channels * channels + channels) +
                        mix_inputs + 1;
    loaded.config_json = json::ObjectWriter()
                             .text("activation", activation_name(spec.activation))
                             .integer("channels", static_cast<long long>(channels))
                             .integer("kernel", static_cast<long long>(kernel))
                             .integers("dilations", dilations)
                             .str();
    json::ObjectWriter metadata;
    metadata.text("sample_rate_source", "assumed (the format stores none)");
    if (const json::Value *level = root.find("level_adjust")) {
        if (!level->is_number()) fail_at("level_adjust", *level, "expected a number");
        metadata.number("level_adjust", level->number());
    }
    loaded.metadata_json = metadata.str();
    loaded.model = std::make_unique<models::GatedWaveNet>(std::move(spec));
    return loaded;
}

}  // namespace pedal::formats
