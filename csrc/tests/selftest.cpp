// Runs every PEDAL_TEST linked into this binary.
//   selftest [--data DIR] [name-substring]
// Prints one line per failing case and ends with "N passed, N failed".
#include <cstring>

#include "check.h"

int main(int argc, char **argv) {
    const char *filter = nullptr;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            pedal::test::data_dir() = argv[++i];
        } else {
            filter = argv[i];
        }
    }
    int passed = 0, failed = 0;
    for (const auto &c : pedal::test::registry()) {
        if (filter && !std::strstr(c.name, filter)) continue;
        pedal::test::current_failures() = 0;
        c.body();
        if (pedal::test::current_failures() == 0) {
            ++passed;
        } else {
            ++failed;
            std::fprintf(stderr, "FAILED %s\n", c.name);
        }
    }
    std::printf("selftest: %d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
