// A tiny self-test harness: the core must build with the standard library alone,
// on the Pi and under qemu, so the tests cannot lean on a third-party framework.
//
//   PEDAL_TEST(json_rejects_trailing_garbage) { CHECK(...); CHECK_EQ(a, b); }
//
// Every test registers itself; main() (selftest.cpp) runs them all and prints
// "N passed, N failed".
#pragma once

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace pedal::test {

struct Case {
    const char *name;
    void (*body)();
};

inline std::vector<Case> &registry() {
    static std::vector<Case> cases;
    return cases;
}

// Failures of the case that is running; reset by the runner before each case.
inline int &current_failures() {
    static int failures = 0;
    return failures;
}

// Folder holding golden vectors; set by the runner from argv.
inline std::string &data_dir() {
    static std::string dir = "csrc/tests/golden";
    return dir;
}

struct Registrar {
    Registrar(const char *name, void (*body)()) { registry().push_back({name, body}); }
};

inline void fail(const char *file, int line, const std::string &what) {
    ++current_failures();
    std::fprintf(stderr, "  %s:%d: %s\n", file, line, what.c_str());
}

}  // namespace pedal::test

#define PEDAL_TEST(name)                                                      \
    static void pedal_test_##name();                                          \
    static ::pedal::test::Registrar pedal_registrar_##name(#name, pedal_test_##name); \
    static void pedal_test_##name()

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) ::pedal::test::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
    } while (0)

#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        const auto &pedal_a_ = (a);                                            \
        const auto &pedal_b_ = (b);                                            \
        if (!(pedal_a_ == pedal_b_))                                           \
            ::pedal::test::fail(__FILE__, __LINE__,                            \
                                "CHECK_EQ(" #a ", " #b ")");                   \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                  \
    do {                                                                       \
        const double pedal_a_ = (a), pedal_b_ = (b);                           \
        if (!(std::fabs(pedal_a_ - pedal_b_) <= (tol)))                        \
            ::pedal::test::fail(__FILE__, __LINE__,                            \
                                "CHECK_NEAR(" #a ", " #b ") = " +              \
                                    std::to_string(pedal_a_) + " vs " +        \
                                    std::to_string(pedal_b_));                 \
    } while (0)

// Checks that `text` contains `needle`, printing both when it does not.
#define CHECK_CONTAINS(text, needle)                                           \
    do {                                                                       \
        const std::string pedal_t_ = (text), pedal_n_ = (needle);              \
        if (pedal_t_.find(pedal_n_) == std::string::npos)                      \
            ::pedal::test::fail(__FILE__, __LINE__,                            \
                                "expected \"" + pedal_n_ + "\" in \"" + pedal_t_ + "\""); \
    } while (0)
