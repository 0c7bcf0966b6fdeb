// NAM's SlimmableContainer (spec: formats/nam-a2.md §1-§2): one capture
// trained at several sizes, `config.submodels = [{max_value, model}, ...]`,
// each model a complete .nam document. Every submodel is loaded (a file that
// plays at one size plays at all of them); the one options.size picks plays.
#include <algorithm>
#include <string>
#include <vector>

#include "formats/json_fields.h"
#include "formats/nam.h"
#include "formats/nam_file.h"
#include "formats/registry.h"

namespace pedal::formats {

namespace {

using nam::item;
using nam::member;

// The trainer writes two (A2 Lite and Full); a few more are plausible, dozens are not.
constexpr std::size_t kMaxSubmodels = 16;

struct Entry {
    double max_value;
    std::string path;       // "config.submodels[i].model", for messages
    const json::Value *document;
};

std::vector<Entry> read_entries(const json::Value &config) {
    const json::Value &list = require_array(config, "config", "submodels");
    const std::string list_path = "config.submodels";
    if (list.array().empty() || list.array().size() > kMaxSubmodels)
        fail_at(list_path, list,
                "expected 1.." + std::to_string(kMaxSubmodels) + " submodels, got " + std::to_string(list.array().size()));
    std::vector<Entry> entries;
    for (std::size_t i = 0; i < list.array().size(); ++i) {
        const json::Value &entry = list.array()[i];
        const std::string path = item(list_path, i);
        if (!entry.is_object()) fail_at(path, entry, "expected an object {\"max_value\", \"model\"}");
        nam::refuse_unknown_keys(entry, path, {"max_value", "model"});
        const json::Value &max_value = require(entry, path, "max_value");
        const double value = nam::require_number(max_value, member(path, "max_value"));
        if (!(value >= 0.0 && value <= 1.0))
            fail_at(member(path, "max_value"), max_value, "expected a size between 0 and 1");
        for (const Entry &earlier : entries)
            if (earlier.max_value == value)
                fail_at(member(path, "max_value"), max_value,
                        "the same max_value as " + earlier.path.substr(0, earlier.path.size() - 6) +
                            ": each submodel needs its own");
        const json::Value &model = nam::require_object(entry, path, "model");
        if (!is_nam(model)) fail_at(member(path, "model"), model, "expected a .nam model document");
        entries.push_back({value, member(path, "model"), &model});
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry &a, const Entry &b) { return a.max_value < b.max_value; });
    return entries;
}

LoadedModel load_entry(const Entry &entry) {
    const json::Value *architecture = entry.document->find("architecture");
    if (architecture && architecture->is_string() && architecture->string() == "SlimmableContainer")
        fail_at(member(entry.path, "architecture"), *architecture, "a container inside a container is not supported");
    try {
        return load_nested("nam", *entry.document, LoadOptions{});
    } catch (const FormatError &problem) {
        nam::rethrow_inside(entry.path, problem);
    }
}

}  // namespace

LoadedModel load_nam_container(const json::Value &root, const LoadOptions &options) {
    const json::Value &config = nam::require_object(root, "", "config");
    nam::refuse_unknown_keys(config, "config", {"submodels"});
    // The container's own weights are an empty list (the trainer writes []).
    if (const json::Value *weights = root.find("weights"); weights && !(weights->is_array() && weights->array().empty()))
        fail_at("weights", *weights, "a container keeps its weights in its submodels; expected []");
    LoadedModel container;
    nam::describe_file(root, "SlimmableContainer", container);  // checks the top-level sample_rate

    const std::vector<Entry> entries = read_entries(config);
    std::vector<double> max_values;
    for (const Entry &entry : entries) max_values.push_back(entry.max_value);
    const std::size_t playing = submodel_for_size(max_values, options.size);

    LoadedModel chosen;
    std::vector<Submodel> submodels;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        LoadedModel loaded = load_entry(entries[i]);
        if (loaded.sample_rate != container.sample_rate)
            fail_at(member(entries[i].path, "sample_rate"), *entries[i].document,
                    "trained at " + std::to_string(static_cast<long long>(loaded.sample_rate)) +
                        " Hz but the container is at " + std::to_string(static_cast<long long>(container.sample_rate)) +
                        " Hz: every submodel must play at the container's rate");
        submodels.push_back({entries[i].max_value, loaded.architecture, loaded.parameters,
                             loaded.model->receptive_field()});
        if (i == playing) chosen = std::move(loaded);  // the others were loaded to check them, and go
    }
    // The submodel's loudness is what it plays at; the container names the gear.
    nam::describe_file(*entries[playing].document, "SlimmableContainer", chosen, &root);
    chosen.submodels = std::move(submodels);
    chosen.playing = playing;
    chosen.size = options.size;
    return chosen;
}

}  // namespace pedal::formats
