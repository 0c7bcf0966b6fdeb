// libFuzzer target: any bytes through the model loaders, and any model that
// loads through process/reset. Run by `make fuzz`; the inputs it keeps are
// replayed by the self-test (test_fuzz_regressions.cpp) in every `make test`.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "capi/pedal.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    char error[512];
    pedal_model *model = pedal_model_load(reinterpret_cast<const char *>(data), size, error, sizeof error);
    if (!model) return 0;
    std::vector<float> audio(512);
    for (std::size_t i = 0; i < audio.size(); ++i) audio[i] = static_cast<float>((i * 37) % 101) / 50.0f - 1.0f;
    pedal_model_process(model, audio.data(), audio.data(), 300);
    pedal_model_reset(model);
    pedal_model_process(model, audio.data(), audio.data(), 212);
    pedal_model_free(model);
    return 0;
}
