#include "formats/registry.h"

#include <new>
#include <vector>

#include "formats/format_error.h"
#include "formats/json_fields.h"
#include "formats/pedalnet.h"
#include "json/json.h"

namespace pedal::formats {

namespace {

struct Family {
    const char *name;         // as reported in model info "format"
    const char *description;  // for "supported: ..." messages
    bool (*recognises)(const json::Value &root);
    LoadedModel (*load)(const json::Value &root);
};

// Adding a file family means adding one line here.
const Family kFamilies[] = {
    {"pedalnet", "PedalNetRT/WaveNetVA WaveNet json", is_pedalnet, load_pedalnet},
};

std::string supported_families() {
    std::vector<std::string> names;
    for (const Family &family : kFamilies) names.emplace_back(family.description);
    return join(names);
}

}  // namespace

bool load_model(std::string_view bytes, LoadedModel &out, std::string &error) noexcept {
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
                out = family.load(root);
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
