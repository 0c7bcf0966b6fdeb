#include "formats/registry.h"

#include <cstring>
#include <new>
#include <stdexcept>
#include <vector>

#include "formats/format_error.h"
#include "formats/json_fields.h"
#include "formats/nam.h"
#include "formats/pedalnet.h"
#include "formats/proteus.h"
#include "formats/rtneural.h"
#include "formats/torch_state_dict.h"
#include "json/json.h"

namespace pedal::formats {

namespace {

// A file family is recognised by content (never by file name) and names the
// architecture it holds; each (family, architecture) pair has one loader.
struct Family {
    const char *name;         // reported as info "format"
    const char *description;  // for "supported: ..." messages
    bool (*recognises)(const json::Value &root);
    std::string (*architecture_of)(const json::Value &root);  // may throw FormatError
};

struct Architecture {
    const char *family;
    const char *name;
    LoadedModel (*load)(const json::Value &root, const LoadOptions &options);
};

// Most files hold one size of one network: their loaders take no options.
template <LoadedModel (*Load)(const json::Value &)>
LoadedModel one_size(const json::Value &root, const LoadOptions &) {
    return Load(root);
}

std::string pedalnet_architecture(const json::Value &) { return "WaveNet"; }
// A Keras-style file is a layer list; its layers are checked one by one by the loader.
std::string rtneural_architecture(const json::Value &) { return "Sequential"; }

// Families are tried in order; the first that recognises the document owns it.
const Family kFamilies[] = {
    {"pedalnet", "PedalNetRT/WaveNetVA WaveNet json", is_pedalnet, pedalnet_architecture},
    {"nam", "Neural Amp Modeler .nam", is_nam, nam_architecture},
    {"rtneural", "RTNeural/AIDA-X Keras-style json", is_rtneural, rtneural_architecture},
    {"proteus", "GuitarML NeuralPi/Proteus SimpleRNN json", is_proteus, proteus_architecture},
    // Recognised only to say why it is refused: the file holds no topology.
    {"pytorch", "bare PyTorch state_dict json (refused: no topology)", is_torch_state_dict, refuse_torch_state_dict},
};

// Adding an architecture means adding one line here (and its loader).
const Architecture kArchitectures[] = {
    {"pedalnet", "WaveNet", one_size<load_pedalnet>},
    {"nam", "WaveNet", load_nam_wavenet},
    {"nam", "LSTM", one_size<load_nam_lstm>},
    {"nam", "Linear", one_size<load_nam_linear>},
    {"nam", "SlimmableContainer", load_nam_container},
    {"rtneural", "Sequential", one_size<load_rtneural>},
    {"proteus", "SimpleRNN", one_size<load_proteus>},
};

std::string supported_families() {
    std::vector<std::string> names;
    for (const Family &family : kFamilies) names.emplace_back(family.description);
    return join(names);
}

std::string supported_architectures(const char *family) {
    std::vector<std::string> names;
    for (const Architecture &architecture : kArchitectures)
        if (std::strcmp(architecture.family, family) == 0) names.emplace_back(architecture.name);
    return join(names);
}

LoadedModel load_family(const Family &family, const json::Value &root, const LoadOptions &options) {
    const std::string name = family.architecture_of(root);
    for (const Architecture &architecture : kArchitectures) {
        if (std::strcmp(architecture.family, family.name) == 0 && name == architecture.name)
            return architecture.load(root, options);
    }
    throw FormatError("unsupported " + std::string(family.name) + " architecture '" + name +
                      "'; supported: " + supported_architectures(family.name));
}

}  // namespace

LoadedModel load_nested(const char *family, const json::Value &root, const LoadOptions &options) {
    for (const Family &known : kFamilies)
        if (std::strcmp(known.name, family) == 0) return load_family(known, root, options);
    throw std::logic_error(std::string("no model family named ") + family);
}

bool load_model(std::string_view bytes, LoadedModel &out, std::string &error, const LoadOptions &options) noexcept {
    try {
        if (bytes.empty()) {
            error = "empty file: expected a model (supported: " + supported_families() + ")";
            return false;
        }
        json::Value root;
        std::string parse_error;
        if (!json::parse(bytes, root, parse_error)) {
            error = "not valid JSON: " + parse_error;
            return false;
        }
        if (!root.is_object()) {
            error = std::string("expected a JSON object at the top level, got ") + json::Value::type_name(root.type());
            return false;
        }
        for (const Family &family : kFamilies) {
            if (!family.recognises(root)) continue;
            try {
                out = load_family(family, root, options);
                return true;
            } catch (const FormatError &problem) {
                error = std::string(family.name) + ": " + problem.what();
                return false;
            }
        }
        error = "unrecognised model file: it matches none of the supported formats (" + supported_families() + ")";
        return false;
    } catch (const std::bad_alloc &) {
        error = "out of memory while loading the model";
    } catch (const std::exception &problem) {
        error = std::string("internal error while loading the model: ") + problem.what();
    } catch (...) {
        error = "internal error while loading the model";
    }
    return false;
}

}  // namespace pedal::formats
