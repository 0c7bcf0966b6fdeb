// Replays the inputs `make fuzz` kept (csrc/tests/fuzz_corpus/): each must be
// loaded or refused without a crash, a sanitizer report or an uncaught
// exception, and a refusal must come with a one-line message.
#include <filesystem>
#include <vector>

#include "capi/pedal.h"
#include "test_support.h"

PEDAL_TEST(fuzz_corpus_inputs_load_or_are_refused_cleanly) {
    namespace fs = std::filesystem;
    const fs::path corpus = fs::path(pedal::test::data_dir()).parent_path() / "fuzz_corpus";
    std::error_code missing;
    if (!fs::is_directory(corpus, missing)) {
        pedal::test::fail(__FILE__, __LINE__, "no corpus at " + corpus.string());
        return;
    }
    int replayed = 0;
    for (const auto &entry : fs::directory_iterator(corpus)) {
        const std::string bytes = pedal::test::read_file(entry.path().string());
        char error[512] = "";
        pedal_model *model = pedal_model_load(bytes.data(), bytes.size(), error, sizeof error);
        if (model) {
            std::vector<float> audio(256, 0.25f);
            pedal_model_process(model, audio.data(), audio.data(), audio.size());
            pedal_model_free(model);
        } else {
            const std::string message = error;
            CHECK(!message.empty() && message.find('\n') == std::string::npos);
        }
        ++replayed;
    }
    CHECK(replayed > 0);
}
