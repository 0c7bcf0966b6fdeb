// NAM Linear config (spec: formats/nam.md §8): an FIR of receptive_field taps
// and an optional bias. Tap order follows the C++ player (weights[0] on the
// current sample); the Python trainer reads them the other way round.
#include <stdexcept>

#include "formats/json_fields.h"
#include "formats/nam.h"
#include "formats/nam_file.h"
#include "json/writer.h"
#include "models/fir.h"

namespace pedal::formats {

namespace {

constexpr long long kMaxTaps = 1ll << 18;  // 5.5 s at 48 kHz

}  // namespace

LoadedModel load_nam_linear(const json::Value &root) {
    const json::Value &config = nam::require_object(root, "", "config");
    nam::refuse_unknown_keys(config, "config", {"receptive_field", "bias"});
    const auto taps = static_cast<std::size_t>(require_integer(config, "config", "receptive_field", 1, kMaxTaps));
    const bool bias = nam::require_bool(config, "config", "bias");

    nam::WeightReader weights(root, static_cast<long long>(taps) + (bias ? 1 : 0),
                              "the Linear config (" + std::to_string(taps) + " taps" + (bias ? " and a bias)" : ")"));
    const std::vector<float> response = weights.take(taps);
    const float offset = bias ? weights.take_one() : 0.0f;
    if (!weights.all_taken()) throw std::logic_error("nam Linear: weight count and layout disagree");

    LoadedModel loaded;
    nam::describe_file(root, "Linear", loaded);
    loaded.parameters = weights.size();
    loaded.config_json = json::ObjectWriter()
                             .integer("receptive_field", static_cast<long long>(taps))
                             .raw("bias", bias ? "true" : "false")
                             .str();
    loaded.model = std::make_unique<models::Fir>(response, offset);
    return loaded;
}

}  // namespace pedal::formats
