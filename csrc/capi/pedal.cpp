// The C ABI over the core. No entry point lets an exception out: a C++ exception
// reaching Python (or any C caller) would abort the daemon.
#include "capi/pedal.h"
#include "capi/version.h"

#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "engine/denormals.h"
#include "formats/registry.h"
#include "json/writer.h"

struct pedal_model {
    pedal::formats::LoadedModel loaded;
    std::string info_json;
};

namespace {

void write_error(char *error, size_t capacity, const std::string &message) noexcept {
    if (!error || capacity == 0) return;
    const size_t length = message.size() < capacity - 1 ? message.size() : capacity - 1;
    std::memcpy(error, message.data(), length);
    error[length] = '\0';
}

std::string describe(const pedal::formats::LoadedModel &loaded) {
    return pedal::json::ObjectWriter()
        .text("format", loaded.format)
        .text("architecture", loaded.architecture)
        .number("sample_rate", loaded.sample_rate)
        .integer("receptive_field", static_cast<long long>(loaded.model->receptive_field()))
        .integer("parameters", static_cast<long long>(loaded.parameters))
        .raw("config", loaded.config_json)
        .raw("metadata", loaded.metadata_json)
        .str();
}

}  // namespace

extern "C" {

const char *pedal_version(void) { return PEDAL_VERSION; }

pedal_model *pedal_model_load(const char *bytes, size_t size, char *error, size_t error_capacity) {
    try {
        if (!bytes && size > 0) {
            write_error(error, error_capacity, "no data");
            return nullptr;
        }
        auto handle = std::make_unique<pedal_model>();
        std::string message;
        if (!pedal::formats::load_model(std::string_view(bytes ? bytes : "", size), handle->loaded, message)) {
            write_error(error, error_capacity, message);
            return nullptr;
        }
        handle->info_json = describe(handle->loaded);
        return handle.release();
    } catch (const std::bad_alloc &) {
        write_error(error, error_capacity, "out of memory while loading the model");
    } catch (...) {
        write_error(error, error_capacity, "internal error while loading the model");
    }
    return nullptr;
}

void pedal_model_free(pedal_model *model) { delete model; }

void pedal_model_process(pedal_model *model, const float *in, float *out, size_t n) {
    if (!model || n == 0) return;
    pedal::engine::DenormalsFlushed flushed;
    model->loaded.model->process(in, out, n);
}

void pedal_model_reset(pedal_model *model) {
    if (model) model->loaded.model->reset();
}

double pedal_model_sample_rate(const pedal_model *model) { return model ? model->loaded.sample_rate : 0.0; }
size_t pedal_model_receptive_field(const pedal_model *model) {
    return model ? model->loaded.model->receptive_field() : 0;
}
size_t pedal_model_parameter_count(const pedal_model *model) { return model ? model->loaded.parameters : 0; }
const char *pedal_model_format(const pedal_model *model) { return model ? model->loaded.format.c_str() : ""; }
const char *pedal_model_architecture(const pedal_model *model) {
    return model ? model->loaded.architecture.c_str() : "";
}
const char *pedal_model_info_json(const pedal_model *model) { return model ? model->info_json.c_str() : "{}"; }

}  // extern "C"
