// NAM's SlimmableContainer ("A2" files): one capture at several sizes, the
// size asked for picking the submodel that plays; every submodel checked at
// load; a bad submodel named by its place in the container.
#include <string>
#include <vector>

#include "nam_fixtures.h"
#include "test_support.h"

using namespace pedal;

namespace {

// A container of the small WaveNet (max_value 1.0) and the small LSTM
// (max_value 0.5), written in the reverse order to show they are sorted.
std::string container(const std::string &first_max = "1.0", const std::string &second_max = "0.5",
                      const std::string &first = test::small_nam_wavenet(),
                      const std::string &second = test::small_nam_lstm()) {
    return R"({"version": "0.7.0", "architecture": "SlimmableContainer", "sample_rate": 48000, "weights": [],
               "metadata": {"gear_make": "Boss", "loudness": -20.0},
               "config": {"submodels": [{"max_value": )" +
           first_max + R"(, "model": )" + first + R"(}, {"max_value": )" + second_max + R"(, "model": )" + second +
           "}]}}";
}

formats::LoadedModel load_sized(const std::string &text, double size) {
    formats::LoadedModel loaded;
    std::string error;
    if (!formats::load_model(text, loaded, error, formats::LoadOptions{size}))
        test::fail(__FILE__, __LINE__, "load failed: " + error);
    return loaded;
}

}  // namespace

PEDAL_TEST(nam_container_plays_the_first_submodel_whose_max_value_reaches_the_size) {
    const std::string text = container();
    for (double size : {0.0, 0.3, 0.5}) {
        const formats::LoadedModel small = load_sized(text, size);
        CHECK_EQ(small.playing, std::size_t{0});
        CHECK_EQ(small.parameters, std::size_t{160});  // the LSTM
    }
    for (double size : {0.51, 1.0}) {
        const formats::LoadedModel large = load_sized(text, size);
        CHECK_EQ(large.playing, std::size_t{1});
        CHECK_EQ(large.parameters, std::size_t{197});  // the WaveNet
    }
    const formats::LoadedModel loaded = test::load_or_fail(text);  // the default: the largest
    CHECK_EQ(loaded.architecture, std::string("SlimmableContainer"));
    CHECK_EQ(loaded.submodels.size(), std::size_t{2});
    CHECK_EQ(loaded.submodels[0].max_value, 0.5);
    CHECK_EQ(loaded.submodels[0].architecture, std::string("LSTM"));
    CHECK_EQ(loaded.submodels[1].architecture, std::string("WaveNet"));
    CHECK_EQ(loaded.submodels[1].parameters, std::size_t{197});
}

PEDAL_TEST(nam_container_plays_its_submodel_sample_for_sample) {
    const formats::LoadedModel alone = test::load_or_fail(test::small_nam_wavenet());
    const formats::LoadedModel inside = test::load_or_fail(container());
    const std::vector<float> input = test::random_signal(3000, 11);
    CHECK_EQ(test::max_abs_difference(test::run_in_blocks(*alone.model, input, {64}),
                                      test::run_in_blocks(*inside.model, input, {64})),
             0.0);
}

PEDAL_TEST(nam_container_metadata_is_the_submodels_with_the_containers_gear) {
    // The small WaveNet has no metadata: its loudness is the container's here,
    // and the gear is always the container's when the submodel does not say.
    const formats::LoadedModel loaded = test::load_or_fail(container());
    CHECK_CONTAINS(loaded.metadata_json, R"("gear_make":"Boss")");
    CHECK_CONTAINS(loaded.metadata_json, R"("loudness":-20)");
}

PEDAL_TEST(nam_container_refusals_name_the_submodel_and_the_key) {
    // (Columns depend on how the weights print, which differs between C libraries.)
    CHECK_CONTAINS(test::load_error(container("0.5", "0.5")), "config.submodels[1].max_value (line 8, column ");
    CHECK_CONTAINS(test::load_error(container("0.5", "0.5")), "the same max_value as config.submodels[0]");
    CHECK_CONTAINS(test::load_error(container("1.5")), "config.submodels[0].max_value");
    CHECK_CONTAINS(test::load_error(container("1.5")), "expected a size between 0 and 1");
    CHECK_CONTAINS(test::load_error(container("-0.1")), "expected a size between 0 and 1");
    // A submodel's own error, named by its place in the container.
    std::string short_lstm = test::small_nam_lstm();
    short_lstm.replace(short_lstm.find("\"hidden_size\": 3"), 16, "\"hidden_size\": 4");
    CHECK_CONTAINS(test::load_error(container("1.0", "0.5", test::small_nam_wavenet(), short_lstm)),
                   "config.submodels[1].model.weights (line 8, column ");
    CHECK_CONTAINS(test::load_error(container("1.0", "0.5", test::small_nam_wavenet(), short_lstm)),
                   "): has 160 weights; the LSTM config (2 x 4) needs 261");
    CHECK_CONTAINS(test::load_error(container("1.0", "0.5", container(), test::small_nam_lstm())),
                   "config.submodels[0].model.architecture");
    CHECK_CONTAINS(test::load_error(container("1.0", "0.5", container(), test::small_nam_lstm())),
                   "a container inside a container is not supported");
    std::string at_44k = test::small_nam_wavenet();
    at_44k.replace(at_44k.find("\"sample_rate\": 48000"), 20, "\"sample_rate\": 44100");
    CHECK_CONTAINS(test::load_error(container("1.0", "0.5", at_44k)), "trained at 44100 Hz but the container is at 48000");
    CHECK_CONTAINS(test::load_error(R"({"version": "0.7.0", "architecture": "SlimmableContainer", "weights": [],
                                        "config": {"submodels": []}})"),
                   "config.submodels (line 2, column 65): expected 1..16 submodels, got 0");
    CHECK_CONTAINS(test::load_error(R"({"version": "0.7.0", "architecture": "SlimmableContainer", "weights": [1],
                                        "config": {"submodels": []}})"),
                   "weights (line 1, column 71): a container keeps its weights in its submodels");
}
