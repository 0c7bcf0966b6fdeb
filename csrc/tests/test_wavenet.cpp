// The gated WaveNet against PyTorch's forward pass (golden vectors), and the
// streaming guarantees: any block size gives the same samples, reset() is exact.

#include "test_support.h"

using namespace pedal;
using test::GoldenCase;
using test::run_in_blocks;

PEDAL_TEST(wavenet_matches_pytorch_on_golden_vectors) {
    const auto cases = test::golden_cases();
    CHECK_EQ(cases.size(), std::size_t{4});
    for (const GoldenCase &c : cases) {
        auto loaded = test::load_or_fail(c.model_json);
        if (!loaded.model) continue;
        const auto out = run_in_blocks(*loaded.model, c.input, {c.input.size()});
        // float32 against PyTorch's float32; only summation order differs.
        const double error = test::max_abs_difference(out, c.output);
        if (!(error <= 1e-5)) test::fail(__FILE__, __LINE__, c.name + ": max abs error " + std::to_string(error));
    }
}

PEDAL_TEST(wavenet_gives_the_same_samples_for_every_block_size) {
    for (const GoldenCase &c : test::golden_cases()) {
        auto whole = test::load_or_fail(c.model_json);
        if (!whole.model) continue;
        const auto reference = run_in_blocks(*whole.model, c.input, {c.input.size()});
        for (const auto &blocks : test::block_size_plans(42)) {
            auto streamed = test::load_or_fail(c.model_json);
            CHECK(test::max_abs_difference(run_in_blocks(*streamed.model, c.input, blocks), reference) <= 1e-6);
        }
    }
}

PEDAL_TEST(wavenet_reset_restores_the_initial_state_exactly) {
    for (const GoldenCase &c : test::golden_cases()) {
        auto loaded = test::load_or_fail(c.model_json);
        if (!loaded.model) continue;
        const auto first = run_in_blocks(*loaded.model, c.input, {100});
        loaded.model->reset();
        const auto again = run_in_blocks(*loaded.model, c.input, {37});
        CHECK(first == again);  // bit for bit
    }
}

PEDAL_TEST(wavenet_processes_in_place) {
    for (const GoldenCase &c : test::golden_cases()) {
        auto loaded = test::load_or_fail(c.model_json);
        if (!loaded.model) continue;
        std::vector<float> buffer = c.input;
        for (std::size_t start = 0; start < buffer.size(); start += 100)
            loaded.model->process(buffer.data() + start, buffer.data() + start,
                                  std::min<std::size_t>(100, buffer.size() - start));
        CHECK(test::max_abs_difference(buffer, c.output) <= 1e-5);
    }
}

PEDAL_TEST(wavenet_reports_receptive_field_and_parameters) {
    // pedalnet_c4_d4_k3: C=4, K=3, dilations 1,2,4,8, gated.
    auto loaded = test::load_or_fail(test::golden_cases()[0].model_json);
    if (!loaded.model) return;
    CHECK_EQ(loaded.model->receptive_field(), std::size_t{1 + 2 * 15});
    // Ci*C + C + N*(K*C*2C + 2C + C*C + C) + N*C + 1
    CHECK_EQ(loaded.parameters, std::size_t{4 + 4 + 4 * (3 * 4 * 8 + 8 + 16 + 4) + 16 + 1});
    CHECK_EQ(loaded.format, std::string("pedalnet"));
    CHECK_EQ(loaded.sample_rate, 44100.0);
}
