// The audio-thread contract: after warm-up, processing makes no call to the
// global allocation functions. Counting replaces operator new/delete for this
// whole binary; the count only matters inside the measured window.
#include <algorithm>
#include <cmath>
#include <atomic>
#include <cstdlib>
#include <new>

#include "capi/pedal.h"
#include "engine/engine.h"
#include "nam_fixtures.h"
#include "dsp/biquad.h"
#include "dsp/convolver.h"
#include "dsp/dc_blocker.h"
#include "dsp/fft.h"
#include "dsp/impulse_response.h"
#include "dsp/limiter.h"
#include "dsp/noise_gate.h"
#include "dsp/pitch_detector.h"
#include "dsp/rate_bridge.h"
#include "dsp/resampler.h"
#include "dsp/smoothed.h"
#include "dsp/tone_eq.h"
#include "test_support.h"

namespace {

std::atomic<long> g_allocations{0};
std::atomic<long long> g_bytes{0};

void *counted_allocation(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    g_bytes.fetch_add(static_cast<long long>(size), std::memory_order_relaxed);
    if (void *p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}

void *counted_aligned_allocation(std::size_t size, std::align_val_t alignment) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    g_bytes.fetch_add(static_cast<long long>(size), std::memory_order_relaxed);
    const std::size_t align = static_cast<std::size_t>(alignment);
    const std::size_t rounded = (size + align - 1) / align * align;
    if (void *p = std::aligned_alloc(align, rounded ? rounded : align)) return p;
    throw std::bad_alloc();
}

}  // namespace

void *operator new(std::size_t size) { return counted_allocation(size); }
void *operator new[](std::size_t size) { return counted_allocation(size); }
void *operator new(std::size_t size, const std::nothrow_t &) noexcept {
    try { return counted_allocation(size); } catch (...) { return nullptr; }
}
void *operator new[](std::size_t size, const std::nothrow_t &) noexcept {
    try { return counted_allocation(size); } catch (...) { return nullptr; }
}
void *operator new(std::size_t size, std::align_val_t a) { return counted_aligned_allocation(size, a); }
void *operator new[](std::size_t size, std::align_val_t a) { return counted_aligned_allocation(size, a); }
void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }
void operator delete(void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }

PEDAL_TEST(allocation_counter_sees_allocations) {
    const long before = g_allocations.load();
    // Through a volatile pointer: a new/delete pair nothing else sees may be elided (GCC does at
    // -O3 for the arm64 package's flags), and then the counter would see nothing to count.
    static std::vector<float> *volatile probe;
    probe = new std::vector<float>(16);
    delete probe;
    CHECK(g_allocations.load() - before >= 2);
}

// Two knob inputs, skip, and every stateful kind of a Keras-style list:
// LSTM, GRU, a dilated convolution, then softmax and a bias-free dense.
const char kRecurrentModel[] =
    R"({"in_shape":[null,null,2],"in_skip":1,"layers":[{"type":"lstm","shape":[null,null,3],"weights":[[[-0.26,0.04,-0.13,0.1,0.13,-0.43,-0.49,0.34,-0.24,-0.27,0.5,-0.03],[0.34,-0.02,0.14,-0.35,0.13,0.37,0.02,0.24,0.17,-0.44,0.26,0.09]],[[-0.2,-0.47,0.37,-0.03,0.22,0.38,0.21,0.42,-0.11,0.3,-0.06,0.44],[0.38,-0.4,-0.36,-0.28,0.47,-0.06,0.13,-0.2,0.01,-0.11,-0.15,0.09],[0.08,0.4,0.18,0.43,0.36,0.49,0.17,-0.34,0.36,0.46,0.4,0.07]],[0.21,-0.29,0.33,0.07,-0.22,-0.44,0.35,0.49,-0.41,0.3,-0.09,-0.35]]},)"
    R"({"type":"gru","shape":[null,null,2],"weights":[[[-0.21,0.27,0.37,-0.46,0.11,-0.46],[0.22,-0.17,0.38,0.48,0.01,0.5],[-0.19,-0.42,0.1,-0.47,-0.3,-0.09]],[[0.11,-0.34,-0.46,0.37,-0.19,0.46],[0.4,-0.12,-0.04,0.02,0.14,0.1]],[[0.06,0.12,0.44,0.01,-0.07,0.22],[-0.26,-0.2,0.48,0.02,0.05,-0.49]]]},)"
    R"({"type":"conv1d","activation":"tanh","shape":[null,null,2],"kernel_size":[2],"dilation":[4],"weights":[[[[-0.08,0.08],[-0.48,0.12]],[[0.13,-0.44],[0.13,-0.03]]],[0.18,-0.15]]},)"
    R"({"type":"dense","activation":"softmax","shape":[null,null,2],"weights":[[[0.21,0.24],[-0.48,-0.44]],[0.18,0.46]]},)"
    R"({"type":"dense","shape":[null,null,1],"weights":[[[-0.25],[-0.04]]]}]})";

PEDAL_TEST(process_and_reset_never_allocate_after_warm_up) {
    auto cases = pedal::test::golden_cases();
    for (auto &c : pedal::test::rtneural_golden_cases()) cases.push_back(std::move(c));
    pedal::test::GoldenCase recurrent;
    recurrent.name = "inline lstm/gru";
    recurrent.model_json = kRecurrentModel;
    recurrent.input = cases.at(0).input;
    cases.push_back(recurrent);
    CHECK_EQ(cases.size(), std::size_t{10});
    for (const auto &c : cases) {
        char error[256];
        pedal_model *model = pedal_model_load(c.model_json.data(), c.model_json.size(), error, sizeof error);
        CHECK(model != nullptr);
        if (!model) continue;
        std::vector<float> out(c.input.size());
        pedal_model_process(model, c.input.data(), out.data(), 256);  // warm-up
        const long before = g_allocations.load();
        for (std::size_t n : {1, 7, 64, 128, 333, 1024}) pedal_model_process(model, c.input.data(), out.data(), n);
        pedal_model_reset(model);
        pedal_model_process(model, c.input.data(), out.data(), c.input.size());
        CHECK_EQ(g_allocations.load() - before, 0L);
        pedal_model_free(model);
    }
}

PEDAL_TEST(nam_process_and_reset_never_allocate_after_warm_up) {
    const std::string linear = pedal::test::nam_document("Linear", R"({"receptive_field": 100, "bias": true})",
                                                         pedal::test::wavy_weights(101, 0.1));
    for (const std::string &text : {pedal::test::small_nam_wavenet(), pedal::test::small_nam_lstm(), linear,
                                    pedal::test::small_nam_a2_wavenet()}) {
        char error[256];
        pedal_model *model = pedal_model_load(text.data(), text.size(), error, sizeof error);
        CHECK(model != nullptr);
        if (!model) continue;
        std::vector<float> in(4096, 0.25f), out(in.size());
        pedal_model_process(model, in.data(), out.data(), 256);  // warm-up
        const long before = g_allocations.load();
        for (std::size_t n : {1, 7, 64, 128, 333, 1024}) pedal_model_process(model, in.data(), out.data(), n);
        pedal_model_reset(model);
        pedal_model_process(model, in.data(), out.data(), in.size());
        pedal_model_reset(model);
        CHECK_EQ(g_allocations.load() - before, 0L);
        pedal_model_free(model);
    }
}

PEDAL_TEST(a_kept_call_plays_what_the_plain_call_plays_and_never_allocates) {
    // The binding's one-pointer call (pedal_model_call, pedal_engine_call) must
    // be the four-argument call and nothing more.
    const std::string text = pedal::test::small_nam_lstm();
    char error[256];
    pedal_model *plain = pedal_model_load(text.data(), text.size(), error, sizeof error);
    pedal_model *kept = pedal_model_load(text.data(), text.size(), error, sizeof error);
    pedal_model *given = pedal_model_load(text.data(), text.size(), error, sizeof error);
    pedal_engine *engine = pedal_engine_new(48000.0, 64, error, sizeof error);
    CHECK(plain && kept && given && engine);
    if (!plain || !kept || !given || !engine) return;
    pedal_engine_set_model(engine, given, 0.0f, 0.0f);
    std::vector<float> in(64), expected(64), out(64), engine_out(64);
    const pedal_model_call model_call{kept, in.data(), out.data(), in.size()};
    const pedal_engine_call engine_call{engine, in.data(), engine_out.data(), in.size()};
    pedal_model_process_call(&model_call);  // warm-up
    pedal_engine_process_call(&engine_call);
    pedal_model_process(plain, in.data(), expected.data(), in.size());
    const long before = g_allocations.load();
    for (int period = 0; period < 50; ++period) {
        for (std::size_t i = 0; i < in.size(); ++i) in[i] = 0.4f * std::sin(0.05f * float(period * 64 + int(i)));
        pedal_model_process(plain, in.data(), expected.data(), in.size());
        pedal_model_process_call(&model_call);
        pedal_engine_process_call(&engine_call);
        CHECK(out == expected);
    }
    pedal_model_process_call(nullptr);  // nothing to do, and no crash
    pedal_engine_process_call(nullptr);
    CHECK_EQ(g_allocations.load() - before, 0L);
    pedal_engine_free(engine);
    pedal_model_free(kept);
    pedal_model_free(plain);
}

PEDAL_TEST(a_chain_the_engine_cannot_play_is_refused_and_its_models_freed) {
    // Five captures, or a NULL among them: refused, every model freed (the
    // ASan build's leak check sees to that), the engine playing what it had.
    const std::string text = pedal::test::small_nam_lstm();
    char error[256];
    pedal_engine *engine = pedal_engine_new(48000.0, 64, error, sizeof error);
    CHECK(engine != nullptr);
    if (!engine) return;
    auto load = [&] { return pedal_model_load(text.data(), text.size(), error, sizeof error); };
    pedal_model *five[] = {load(), load(), load(), load(), load()};
    CHECK_EQ(pedal_engine_set_chain(engine, five, nullptr, nullptr, 5), uint64_t{0});
    pedal_model *holed[] = {load(), nullptr, load()};
    CHECK_EQ(pedal_engine_set_chain(engine, holed, nullptr, nullptr, 3), uint64_t{0});
    pedal_model *four[] = {load(), load(), load(), load()};
    const float gains[] = {0.0f, -3.0f, 6.0f, 0.0f};
    CHECK_EQ(pedal_engine_set_chain(engine, four, gains, gains, 4), uint64_t{1});
    CHECK_EQ(pedal_engine_set_chain(engine, nullptr, nullptr, nullptr, 0), uint64_t{0});  // no model
    pedal_engine_free(engine);
}

PEDAL_TEST(absurd_sizes_are_refused_before_anything_is_sized_from_them) {
    // A billion channels, or a history of 64 MiB and more: the loader must check
    // the numbers before it sizes a buffer from them. The budget covers the
    // parsed document and the error message, nothing more.
    const std::string hostile[] = {
        R"({"activation":"gated","residual_channels":1000000000,"filter_width":3,"dilations":[1],"variables":[]})",
        R"({"activation":"gated","residual_channels":256,"filter_width":64,"dilations":[65536,65536,65536],"variables":[]})",
        R"({"version":"0.5.4","architecture":"WaveNet","weights":[],"config":{"head":null,"head_scale":1,"layers":[
            {"input_size":1,"condition_size":1,"channels":1000000000,"head_size":1,"kernel_size":3,"dilations":[1],
             "activation":"Tanh","gated":false,"head_bias":false}]}})",
        R"({"version":"0.5.4","architecture":"WaveNet","weights":[],"config":{"head":null,"head_scale":1,"layers":[
            {"input_size":1,"condition_size":1,"channels":256,"head_size":1,"kernel_size":64,
             "dilations":[65536,65536,65536],"activation":"Tanh","gated":false,"head_bias":false}]}})",
        R"({"version":"0.5.4","architecture":"LSTM","weights":[],"config":{"input_size":1,"hidden_size":1000000,
            "num_layers":1}})",
        R"({"version":"0.5.4","architecture":"LSTM","weights":[],"config":{"input_size":1,"hidden_size":1024,
            "num_layers":16}})",
        R"({"in_shape":[null,null,1],"layers":[{"type":"lstm","shape":[null,null,1000000000],"weights":[[],[],[]]}]})",
        R"({"in_shape":[null,null,3],"layers":[{"type":"conv1d","shape":[null,null,1024],"kernel_size":256,"dilation":65536,"weights":[[],[]]}]})",
    };
    for (const std::string &text : hostile) {
        const long long before = g_bytes.load();
        char error[256];
        pedal_model *model = pedal_model_load(text.data(), text.size(), error, sizeof error);
        CHECK(model == nullptr);
        CHECK(g_bytes.load() - before < 64 * 1024);
    }
}

PEDAL_TEST(engine_process_never_allocates_even_while_switching_models_chains_cabinets_and_tuning) {
    const auto cases = pedal::test::golden_cases();
    pedal::engine::Engine engine(48000.0, 128);
    std::vector<float> in(128, 0.25f), out(128);
    engine.process(in.data(), out.data(), in.size());
    // Control side: allocation allowed here. Each stage at its file's rate, so
    // the 44.1 kHz ones play through their own rate bridges.
    auto prepare = [&](std::initializer_list<std::size_t> which) {
        auto slot = std::make_unique<pedal::engine::ModelSlot>();
        for (std::size_t w : which) {
            pedal::formats::LoadedModel loaded = pedal::test::load_or_fail(cases[w].model_json);
            pedal::engine::Stage stage;
            stage.model = std::move(loaded.model);
            stage.model_rate = loaded.sample_rate;
            slot->stages.push_back(std::move(stage));
        }
        return slot;
    };
    auto first = prepare({0}), second = prepare({1, 0, 1, 0});  // one capture, then a rig of four
    engine.set_model(std::move(first));
    const long before = g_allocations.load();
    for (int block = 0; block < 200; ++block) {
        engine.process(in.data(), out.data(), in.size());
        engine.set_bypass(block % 50 == 25);
        // The tuner in and out, muted and through, read as it listens.
        engine.set_tuner(static_cast<pedal::engine::TunerMode>(block / 40 % 3));
        engine.read_tuner(-50.0);
    }
    CHECK_EQ(g_allocations.load() - before, 0L);
    engine.set_model(std::move(second));
    std::vector<float> cabinet(4800, 0.0f);
    cabinet[0] = 0.5f;
    cabinet[100] = 0.25f;
    CHECK(engine.set_ir(cabinet.data(), cabinet.size(), 44100.0));  // control side: prepared here
    engine.set_param(pedal::engine::Param::GateOn, 1.0f);
    const long after_switch = g_allocations.load();
    for (int block = 0; block < 200; ++block) {
        engine.set_param(pedal::engine::Param::EqBassDb, static_cast<float>(block % 7));
        engine.process(in.data(), out.data(), in.size());
    }
    CHECK_EQ(g_allocations.load() - after_switch, 0L);
}


PEDAL_TEST(dsp_blocks_never_allocate_while_processing) {
    // Everything is sized before the measured window; inside it, knobs move and
    // blocks of every size pass through each block, as on the audio thread.
    using namespace pedal::dsp;
    const double rate = 48000.0;
    const std::size_t max_block = 1024;
    std::vector<float> in(max_block), out(max_block), re(513), im(513);
    for (std::size_t i = 0; i < max_block; ++i) in[i] = static_cast<float>((i * 7919) % 200) / 100.0f - 1.0f;

    Smoothed gain(1.0f);
    gain.prepare(rate);
    ToneEq tone;
    tone.prepare(rate);
    Biquad low_cut;
    low_cut.set(rbj::high_pass(rate, 80.0));
    DcBlocker dc;
    dc.prepare(rate);
    RealFft fft;
    fft.prepare(1024);
    NoiseGate gate;
    gate.prepare(rate);
    Limiter limiter;
    limiter.prepare(rate);
    RateBridge bridge;
    bridge.prepare(48000, 44100, max_block);
    Resampler up;
    up.prepare(44100, 48000, 100);  // longer calls are split inside
    std::vector<float> resampled(up.max_output_frames(max_block));
    std::vector<float> cabinet(9600);
    for (std::size_t i = 0; i < cabinet.size(); ++i) cabinet[i] = in[i % max_block] / static_cast<float>(1 + i);
    ImpulseResponse ir_a, ir_b;
    ir_a.prepare(cabinet.data(), cabinet.size(), 48000, 48000, 64, 48000);
    ir_b.prepare(cabinet.data(), 3000, 44100, 48000, 64, 48000);
    Convolver cab;
    cab.prepare(64, 48000, 960);
    PitchDetector ear;
    ear.prepare(rate);

    const long before = g_allocations.load();
    for (std::size_t n : {1, 7, 32, 64, 128, 333, 1024}) {
        ear.push(in.data(), n);  // the tuner's part on the audio thread
        ear.analyse();           // and the reader's, which never allocates either
        gain.set_target(static_cast<float>(n) / 1024.0f);
        tone.set_bass_db(static_cast<float>(n % 30) - 15.0f);
        tone.set_treble_db(-static_cast<float>(n % 30) + 15.0f);
        gate.set_threshold_db(-static_cast<float>(n % 90));
        limiter.set_ceiling_db(-static_cast<float>(n % 7));
        gate.process(in.data(), out.data(), n);
        bridge.to_inner(out.data(), n);
        bridge.from_inner(out.data(), n);
        up.process(out.data(), n, resampled.data());
        gain.apply(out.data(), n);
        tone.process(out.data(), out.data(), n);
        low_cut.process(out.data(), out.data(), n);
        cab.set_ir(n % 2 ? &ir_a : &ir_b);
        cab.process(out.data(), out.data(), n);
        dc.process(out.data(), out.data(), n);
        limiter.process(out.data(), out.data(), n);
    }
    fft.forward(in.data(), re.data(), im.data());
    fft.inverse(re.data(), im.data(), out.data());
    tone.reset();
    gate.reset();
    limiter.reset();
    bridge.reset();
    up.reset();
    cab.reset();
    CHECK_EQ(g_allocations.load() - before, 0L);
}
