// NAM LSTM config (spec: formats/nam.md §7): num_layers LSTM layers on the mono
// input and a linear head; each layer's initial hidden and cell state are
// stored in the weights after its bias.
#include <stdexcept>

#include "formats/json_fields.h"
#include "formats/nam.h"
#include "formats/nam_file.h"
#include "json/writer.h"
#include "models/nam_lstm.h"

namespace pedal::formats {

namespace {

// Published NAM LSTMs have 1-2 layers of 8-40 units.
constexpr long long kMaxHidden = 1024;
constexpr long long kMaxLstmLayers = 16;

}  // namespace

LoadedModel load_nam_lstm(const json::Value &root) {
    const json::Value &config = nam::require_object(root, "", "config");
    nam::refuse_unknown_keys(config, "config", {"input_size", "hidden_size", "num_layers", "in_channels", "out_channels"});
    if (require_integer(config, "config", "input_size", 1, kMaxHidden) != 1)
        fail_at("config.input_size", *config.find("input_size"), "only 1 (the mono input) is supported");
    for (const char *key : {"in_channels", "out_channels"})
        if (config.find(key)) require_integer(config, "config", key, 1, 1);
    const auto hidden = static_cast<std::size_t>(require_integer(config, "config", "hidden_size", 1, kMaxHidden));
    const auto layer_count = static_cast<std::size_t>(require_integer(config, "config", "num_layers", 1, kMaxLstmLayers));

    long long expected = static_cast<long long>(hidden) + 1;  // head
    for (std::size_t l = 0; l < layer_count; ++l) {
        const long long inputs = l == 0 ? 1 : static_cast<long long>(hidden);
        const long long h = static_cast<long long>(hidden);
        expected += 4 * h * (inputs + h) + 4 * h + 2 * h;
    }
    nam::WeightReader weights(root, expected, "the LSTM config (" + std::to_string(layer_count) + " x " +
                                                  std::to_string(hidden) + ")");
    models::NamLstmSpec spec;
    for (std::size_t l = 0; l < layer_count; ++l) {
        models::NamLstmLayer layer;
        layer.inputs = l == 0 ? 1 : hidden;
        layer.hidden = hidden;
        // Stored [4H][inputs + hidden] (PyTorch's weight_ih beside weight_hh); the layer wants it transposed.
        layer.weights = weights.take_transposed(4 * hidden, layer.inputs + hidden);
        layer.bias = weights.take(4 * hidden);
        layer.initial_hidden = weights.take(hidden);
        layer.initial_cell = weights.take(hidden);
        spec.layers.push_back(std::move(layer));
    }
    spec.head_weights = weights.take(hidden);
    spec.head_bias = weights.take_one();
    if (!weights.all_taken()) throw std::logic_error("nam LSTM: weight count and layout disagree");

    LoadedModel loaded;
    nam::describe_file(root, "LSTM", loaded);
    loaded.parameters = weights.size();
    loaded.config_json = json::ObjectWriter()
                             .integer("num_layers", static_cast<long long>(layer_count))
                             .integer("hidden_size", static_cast<long long>(hidden))
                             .integer("input_size", 1)
                             .str();
    loaded.model = std::make_unique<models::NamLstm>(std::move(spec));
    return loaded;
}

}  // namespace pedal::formats
