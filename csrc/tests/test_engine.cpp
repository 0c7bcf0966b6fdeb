// The engine's promises: models change and bypass toggles without clicks, bad
// numbers never reach the output, and the audio path never allocates.
#include <cmath>
#include <limits>

#include "engine/engine.h"
#include "test_support.h"

using namespace pedal;
using engine::Engine;
using engine::ModelSlot;

namespace {

constexpr double kRate = 48000.0;
constexpr std::size_t kBlock = 64;

std::vector<float> sustained_note(std::size_t samples, float frequency = 196.0f, float level = 0.4f) {
    std::vector<float> out(samples);
    for (std::size_t t = 0; t < samples; ++t)
        out[t] = level * std::sin(2.0f * 3.14159265f * frequency * static_cast<float>(t) / static_cast<float>(kRate));
    return out;
}

// A stage played at the engine's rate, whatever its file says (model_rate 0).
engine::Stage stage_for(const std::string &model_json, float gain = 1.0f) {
    engine::Stage stage;
    stage.model = test::load_or_fail(model_json).model;
    stage.gain = gain;
    return stage;
}

// A chain of one capture: what a single model plays as.
std::unique_ptr<ModelSlot> slot_for(const std::string &model_json, float gain = 1.0f) {
    auto slot = std::make_unique<ModelSlot>();
    slot->stages.push_back(stage_for(model_json, gain));
    return slot;
}

std::vector<float> run(Engine &engine, const std::vector<float> &in, std::size_t from, std::size_t to) {
    std::vector<float> out(to - from);
    for (std::size_t s = from; s < to; s += kBlock)
        engine.process(in.data() + s, out.data() + (s - from), std::min(kBlock, to - s));
    return out;
}

float largest_step(const std::vector<float> &x, std::size_t from = 1) {
    float step = 0.0f;
    for (std::size_t t = std::max<std::size_t>(from, 1); t < x.size(); ++t) step = std::max(step, std::fabs(x[t] - x[t - 1]));
    return step;
}

// A model that turns to NaN after a while, as an unstable capture might.
class BlowsUp final : public models::Model {
public:
    void process(const float *in, float *out, std::size_t n) noexcept override {
        for (std::size_t i = 0; i < n; ++i, ++count_) out[i] = count_ > 1000 ? std::numeric_limits<float>::quiet_NaN() : in[i];
    }
    void reset() noexcept override { ++resets; count_ = 0; }
    std::size_t receptive_field() const noexcept override { return 1; }
    int resets = 0;

private:
    std::size_t count_ = 0;
};

// y[t] = 0.5 x[t] + 0.3 x[t-1]: a capture-like filter with no DC offset.
const char *kTwoTapFilter = R"({"activation":"linear","residual_channels":1,"filter_width":2,"dilations":[1],
  "variables":[{"layer_idx":-1,"name":"W","data":[1]},{"layer_idx":-1,"name":"b","data":[0]},
  {"layer_idx":0,"name":"W_conv","data":[0.3,0.5]},{"layer_idx":0,"name":"b_conv","data":[0]},
  {"layer_idx":0,"name":"W_out","data":[0]},{"layer_idx":0,"name":"b_out","data":[0]},
  {"layer_idx":1,"name":"W","data":[1]},{"layer_idx":1,"name":"b","data":[0]}]})";

}  // namespace

PEDAL_TEST(engine_without_a_model_and_with_its_filters_out_passes_the_input_through_exactly) {
    Engine engine(kRate, kBlock);
    engine.set_param(engine::Param::DcBlockerOn, 0.0f);
    engine.set_param(engine::Param::LimiterOn, 0.0f);
    const auto note = sustained_note(1000);
    CHECK(run(engine, note, 0, note.size()) == note);
    CHECK_EQ(engine.latency(), 0.0);
}

PEDAL_TEST(engine_without_a_model_keeps_a_note_at_its_level) {
    Engine engine(kRate, kBlock);  // DC blocker and limiter in, EQ flat, no cabinet
    const auto note = sustained_note(9600);
    const auto out = run(engine, note, 0, note.size());
    double in_power = 0.0, out_power = 0.0;
    for (std::size_t t = 4800; t < out.size(); ++t) {
        in_power += static_cast<double>(note[t]) * note[t];
        out_power += static_cast<double>(out[t]) * out[t];
    }
    // A 5 Hz DC blocker and an idle limiter leave a 196 Hz note within 0.05 dB.
    CHECK_NEAR(10.0 * std::log10(out_power / in_power), 0.0, 0.05);
    CHECK(engine.latency() > 0.0 && engine.latency() < 0.001 * kRate);  // the limiter's look-ahead only
}

PEDAL_TEST(engine_switches_models_without_a_click) {
    const auto cases = test::golden_cases();
    const auto note = sustained_note(static_cast<std::size_t>(kRate));  // 1 s
    // Each model's own steady output sets the bar for the largest step.
    float steady_step = 0.0f;
    // Two captures with the same DC offset (the golden models are random
    // networks; real captures have almost none, and the chain's DC blocker
    // removes the rest).
    const int first = 2, second = 3;
    for (int which : {first, second}) {
        Engine alone(kRate, kBlock);
        alone.set_model(slot_for(cases[which].model_json));
        const auto out = run(alone, note, 0, note.size());
        steady_step = std::max(steady_step, largest_step(std::vector<float>(out.begin() + 8000, out.end())));
    }
    Engine engine(kRate, kBlock);
    engine.set_model(slot_for(cases[first].model_json));
    auto before = run(engine, note, 0, 16000);  // the first model settled
    engine.set_model(slot_for(cases[second].model_json));
    auto after = run(engine, note, 16000, note.size());
    CHECK(engine.stats().model_id == 2);
    std::vector<float> around(before.end() - 64, before.end());
    around.insert(around.end(), after.begin(), after.begin() + 8000);  // warm-up, fade and beyond
    const float step = largest_step(around);
    if (!(step <= steady_step)) test::fail(__FILE__, __LINE__, "switch step " + std::to_string(step) + " > steady " + std::to_string(steady_step));
}

PEDAL_TEST(engine_plays_a_chain_of_captures_in_series) {
    // Two captures in a row, each with its own gains: once warmed up and faded
    // in, the engine plays the second model on the first model's output.
    Engine engine(kRate, kBlock);
    engine.set_param(engine::Param::DcBlockerOn, 0.0f);
    engine.set_param(engine::Param::LimiterOn, 0.0f);
    const std::string second = test::golden_cases()[2].model_json;
    auto slot = std::make_unique<ModelSlot>();
    slot->stages.push_back(stage_for(kTwoTapFilter, 2.0f));
    slot->stages.push_back(stage_for(second, 0.5f));
    slot->stages.back().input_gain = 0.8f;
    engine.set_model(std::move(slot));
    const auto note = sustained_note(12000);
    const auto out = run(engine, note, 0, note.size());

    auto first_model = test::load_or_fail(kTwoTapFilter).model;
    auto second_model = test::load_or_fail(second).model;
    std::vector<float> expected(note.size());
    first_model->process(note.data(), expected.data(), note.size());
    for (float &v : expected) v *= 2.0f * 0.8f;
    second_model->process(expected.data(), expected.data(), expected.size());
    float worst = 0.0f;
    for (std::size_t t = 8000; t < note.size(); ++t) worst = std::max(worst, std::fabs(out[t] - 0.5f * expected[t]));
    CHECK(worst <= 1e-5f);
}

PEDAL_TEST(engine_switches_between_chains_of_four_captures_without_a_click) {
    const auto cases = test::golden_cases();
    const auto note = sustained_note(static_cast<std::size_t>(kRate));
    auto chain = [&](std::initializer_list<int> which) {
        auto slot = std::make_unique<ModelSlot>();
        for (int w : which) slot->stages.push_back(stage_for(cases[w].model_json));
        return slot;
    };
    const std::initializer_list<int> first = {2, 3, 2, 3}, second = {3, 2, 3, 2};
    float steady_step = 0.0f;
    for (auto which : {first, second}) {
        Engine alone(kRate, kBlock);
        alone.set_model(chain(which));
        const auto out = run(alone, note, 0, note.size());
        steady_step = std::max(steady_step, largest_step(std::vector<float>(out.begin() + 8000, out.end())));
    }
    Engine engine(kRate, kBlock);
    engine.set_model(chain(first));
    auto before = run(engine, note, 0, 16000);
    engine.set_model(chain(second));
    auto after = run(engine, note, 16000, note.size());
    CHECK(engine.stats().model_id == 2);
    std::vector<float> around(before.end() - 64, before.end());
    around.insert(around.end(), after.begin(), after.begin() + 8000);
    const float step = largest_step(around);
    if (!(step <= steady_step)) test::fail(__FILE__, __LINE__, "switch step " + std::to_string(step) + " > steady " + std::to_string(steady_step));
}

PEDAL_TEST(a_chain_warms_up_for_all_its_stages_receptive_fields) {
    Engine engine(kRate, kBlock);
    const std::string wide = test::golden_cases()[2].model_json;
    const std::size_t field = test::load_or_fail(wide).model->receptive_field();
    auto slot = std::make_unique<ModelSlot>();
    slot->stages.push_back(stage_for(wide));
    slot->stages.push_back(stage_for(wide));
    ModelSlot *watch = slot.get();
    engine.set_model(std::move(slot));
    CHECK(watch->warmup >= 2 * field);
}

PEDAL_TEST(engine_bypass_fades_both_ways_without_a_click) {
    const auto note = sustained_note(static_cast<std::size_t>(kRate));
    Engine engine(kRate, kBlock);
    engine.set_model(slot_for(kTwoTapFilter));
    const auto settled = run(engine, note, 0, 12000);
    const float steady_step = std::max(largest_step(std::vector<float>(settled.begin() + 4000, settled.end())), largest_step(note));
    engine.set_bypass(true);
    const auto off = run(engine, note, 12000, 24000);
    CHECK(engine.stats().bypassed);
    engine.set_bypass(false);
    const auto on = run(engine, note, 24000, 36000);
    std::vector<float> joined(settled.end() - 64, settled.end());
    joined.insert(joined.end(), off.begin(), off.end());
    joined.insert(joined.end(), on.begin(), on.end());
    if (!(largest_step(joined) <= steady_step))
        test::fail(__FILE__, __LINE__, "bypass step " + std::to_string(largest_step(joined)) + " > " + std::to_string(steady_step));
    // Fully bypassed, the dry signal comes out untouched, as late as the
    // effect was (the limiter's look-ahead here), so toggling never jumps in time.
    const auto delay = static_cast<std::ptrdiff_t>(engine.latency());
    CHECK(delay > 0);
    CHECK(std::vector<float>(off.end() - 1000, off.end()) ==
          std::vector<float>(note.begin() + 23000 - delay, note.begin() + 24000 - delay));
}

PEDAL_TEST(engine_tuner_hears_the_input_and_mutes_the_output_without_a_click) {
    const auto note = sustained_note(static_cast<std::size_t>(kRate), 110.0f);
    Engine engine(kRate, kBlock);
    engine.set_model(slot_for(kTwoTapFilter));
    const auto playing = run(engine, note, 0, 9600);
    CHECK_EQ(engine.read_tuner(-50.0).hz, 0.0);  // off: it hears nothing
    engine.set_tuner(engine::TunerMode::Mute);
    const auto first = run(engine, note, 9600, 9600 + 2048);
    CHECK_EQ(engine.read_tuner(-50.0).hz, 0.0);  // on, but not a whole window heard yet
    const auto muted = run(engine, note, 9600 + 2048, 24000);
    CHECK(std::fabs(engine.read_tuner(-50.0).hz - 110.0) < 0.01);
    // The output ramps to silence over 10 ms, no faster than a knob would move it.
    for (std::size_t t = 480; t < first.size(); ++t) CHECK_EQ(first[t], 0.0f);
    for (float v : muted) CHECK_EQ(v, 0.0f);
    std::vector<float> joined(playing.end() - 64, playing.end());
    joined.insert(joined.end(), first.begin(), first.end());
    CHECK(largest_step(joined) <= largest_step(playing) * 1.01f);
    // Off again: the sound ramps back; the tuner hears nothing and says so.
    engine.set_tuner(engine::TunerMode::Off);
    const auto back = run(engine, note, 24000, 36000);
    CHECK(largest_step(back) <= largest_step(playing) * 1.01f);
    CHECK(std::vector<float>(back.end() - 64, back.end()) != std::vector<float>(64, 0.0f));
    CHECK_EQ(engine.read_tuner(-50.0).hz, 0.0);
    // Through: the dry guitar passes (the bypass path) while the tuner listens afresh.
    engine.set_tuner(engine::TunerMode::Through);
    CHECK_EQ(engine.read_tuner(-50.0).hz, 0.0);  // what it heard before is forgotten
    const auto through = run(engine, note, 36000, 48000);
    const auto delay = static_cast<std::ptrdiff_t>(engine.latency());
    CHECK(std::vector<float>(through.end() - 1000, through.end()) ==
          std::vector<float>(note.begin() + 47000 - delay, note.begin() + 48000 - delay));
    CHECK(std::fabs(engine.read_tuner(-50.0).hz - 110.0) < 0.01);
}

PEDAL_TEST(engine_replaces_bad_input_samples_and_counts_them) {
    Engine engine(kRate, kBlock);
    std::vector<float> in = sustained_note(256);
    in[10] = std::numeric_limits<float>::quiet_NaN();
    in[100] = std::numeric_limits<float>::infinity();
    std::vector<float> out(in.size());
    engine.process(in.data(), out.data(), in.size());
    for (float v : out) CHECK(std::isfinite(v));
    CHECK_EQ(out[10], 0.0f);
    CHECK_EQ(engine.stats().bad_input_blocks, std::uint64_t{2});
}

PEDAL_TEST(engine_mutes_and_resets_a_model_that_blows_up_within_one_block) {
    Engine engine(kRate, kBlock);
    auto slot = std::make_unique<ModelSlot>();
    auto model = std::make_unique<BlowsUp>();
    BlowsUp *watch = model.get();
    engine::Stage stage;
    stage.model = std::move(model);
    slot->stages.push_back(std::move(stage));
    slot->warmup = 1;
    engine.set_model(std::move(slot));
    const auto note = sustained_note(4000);
    const auto out = run(engine, note, 0, note.size());
    for (float v : out) CHECK(std::isfinite(v));
    CHECK(engine.stats().muted_blocks >= 1);
    CHECK(watch->resets >= 1);
}

PEDAL_TEST(engine_stats_report_peaks_blocks_and_the_playing_model) {
    Engine engine(kRate, kBlock);
    const auto note = sustained_note(640, 196.0f, 0.5f);
    const std::uint64_t id = engine.set_model(slot_for(test::golden_cases()[0].model_json));
    run(engine, note, 0, note.size());
    const auto stats = engine.stats();
    CHECK_EQ(stats.blocks, std::uint64_t{10});
    CHECK_NEAR(stats.input_peak, 0.5, 1e-3);
    CHECK(stats.block_us_max >= stats.block_us_avg && stats.block_us_avg >= stats.block_us_min);
    CHECK(stats.switching || stats.model_id == id);
    CHECK_EQ(engine.stats().input_peak, 0.0f);  // peaks restart with each read
}

PEDAL_TEST(engine_parameters_are_clamped_and_smoothed) {
    Engine engine(kRate, kBlock);
    engine.set_param(engine::Param::DcBlockerOn, 0.0f);
    engine.set_param(engine::Param::LimiterOn, 0.0f);
    CHECK(engine.set_param(engine::Param::OutputLevelDb, 100.0f));  // clamped to +12 dB
    CHECK(!engine.set_param(engine::Param::OutputLevelDb, std::numeric_limits<float>::quiet_NaN()));
    const std::vector<float> level(4800, 0.1f);
    const auto out = run(engine, level, 0, level.size());
    CHECK_NEAR(out.back(), 0.1 * std::pow(10.0, 12.0 / 20.0), 1e-5);
    // The ramp: no two neighbouring samples differ by more than the whole
    // change spread over 5 ms.
    CHECK(largest_step(out) <= 0.1f * (std::pow(10.0f, 0.6f) - 1.0f) / (0.005f * static_cast<float>(kRate)));
}
