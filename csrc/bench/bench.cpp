// Times the core alone, without Python, so the binding's overhead can be read
// off against `python -m pedal.bench`:
//   bench MODEL [--block N] [--seconds S] [--runs R] [--rate HZ] [--size S] [--json]
// Prints the median ns/sample over R runs of S seconds of a plucked-string
// signal (after a warm-up). Under callgrind use --runs 1 for a fixed workload.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "capi/pedal.h"

namespace {

// Decaying plucked notes with noise: the same kind of signal the Python bench uses.
std::vector<float> guitar_like(std::size_t samples, double rate) {
    std::vector<float> out(samples);
    std::mt19937 random(2);
    std::uniform_real_distribution<float> noise(-1.0f, 1.0f);
    const double notes[] = {82.41, 110.0, 146.83, 196.0, 246.94, 329.63};
    const std::size_t note_length = static_cast<std::size_t>(0.4 * rate);
    for (std::size_t start = 0, n = 0; start < samples; start += note_length, ++n) {
        const std::size_t period = static_cast<std::size_t>(rate / notes[n % 6]);
        std::vector<float> line(period);
        for (float &v : line) v = noise(random);
        for (std::size_t t = start; t < std::min(samples, start + note_length); ++t) {
            const std::size_t i = (t - start) % period;
            const float next = line[(i + 1) % period];
            out[t] = 0.5f * line[i];
            line[i] = 0.498f * (line[i] + next);
        }
    }
    return out;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s MODEL [--block N] [--seconds S] [--runs R] [--rate HZ] [--size S] [--json]\n",
                     argv[0]);
        return 2;
    }
    std::size_t block = 64;
    double seconds = 2.0, rate = 48000.0, size = 1.0;  // size: the submodel of an A2 file (0..1)
    int runs = 7;
    bool json = false;
    for (int i = 2; i < argc; ++i) {
        const std::string flag = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : "0";
        if (flag == "--block") block = std::strtoul(value, nullptr, 10), ++i;
        else if (flag == "--seconds") seconds = std::atof(value), ++i;
        else if (flag == "--runs") runs = std::atoi(value), ++i;
        else if (flag == "--rate") rate = std::atof(value), ++i;
        else if (flag == "--size") size = std::atof(value), ++i;
        else if (flag == "--json") json = true;
    }
    if (block == 0 || runs < 1 || seconds <= 0) {
        std::fprintf(stderr, "bench: --block, --runs and --seconds must be positive\n");
        return 2;
    }
    std::ifstream file(argv[1], std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    const std::string bytes = text.str();
    char error[512];
    pedal_model *model = pedal_model_load_sized(bytes.data(), bytes.size(), size, error, sizeof error);
    if (!model) {
        std::fprintf(stderr, "bench: %s: %s\n", argv[1], error);
        return 1;
    }
    const std::size_t samples = static_cast<std::size_t>(seconds * rate) / block * block;
    const std::vector<float> input = guitar_like(samples, rate);
    std::vector<float> output(samples);
    for (std::size_t s = 0; s < std::min<std::size_t>(samples, 8192); s += block)
        pedal_model_process(model, input.data() + s, output.data() + s, block);  // warm-up

    std::vector<double> per_run;
    for (int r = 0; r < runs; ++r) {
        const auto begin = std::chrono::steady_clock::now();
        for (std::size_t s = 0; s < samples; s += block)
            pedal_model_process(model, input.data() + s, output.data() + s, block);
        const auto elapsed = std::chrono::steady_clock::now() - begin;
        per_run.push_back(std::chrono::duration<double, std::nano>(elapsed).count() / static_cast<double>(samples));
    }
    std::sort(per_run.begin(), per_run.end());
    const double median = per_run[per_run.size() / 2];
    const double factor = 1e9 / rate / median;
    if (json) {
        std::printf("{\"model\": \"%s\", \"block\": %zu, \"ns_per_sample\": %.2f, \"min\": %.2f, \"max\": %.2f, "
                    "\"realtime_factor\": %.2f, \"runs\": %d}\n",
                    argv[1], block, median, per_run.front(), per_run.back(), factor, runs);
    } else {
        std::printf("%s block %zu: %.1f ns/sample (%.1f..%.1f), %.1fx real time at %.0f Hz\n", argv[1], block, median,
                    per_run.front(), per_run.back(), factor, rate);
    }
    pedal_model_free(model);
    return 0;
}
