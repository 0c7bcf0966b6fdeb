// The audio-thread contract: after warm-up, processing makes no call to the
// global allocation functions. Counting replaces operator new/delete for this
// whole binary; the count only matters inside the measured window.
#include <atomic>
#include <cstdlib>
#include <new>

#include "capi/pedal.h"
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
    auto *probe = new std::vector<float>(16);
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

PEDAL_TEST(absurd_sizes_are_refused_before_anything_is_sized_from_them) {
    // A billion channels, or a history of 64 MiB and more: the loader must check
    // the numbers before it sizes a buffer from them. The budget covers the
    // parsed document and the error message, nothing more.
    const std::string hostile[] = {
        R"({"activation":"gated","residual_channels":1000000000,"filter_width":3,"dilations":[1],"variables":[]})",
        R"({"activation":"gated","residual_channels":256,"filter_width":64,"dilations":[65536,65536,65536],"variables":[]})",
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
