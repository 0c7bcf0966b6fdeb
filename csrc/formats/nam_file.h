// What every Neural Amp Modeler .nam file shares, whatever its architecture
// (spec: formats/nam.md §1-§2): the version, the sample rate, the metadata and
// one flat list of weights, plus the strict field reads the loaders build on.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "formats/format_error.h"
#include "formats/loaded_model.h"
#include "json/json.h"

namespace pedal::formats::nam {

// No sample rate in the file (0.5.0/0.5.1 exports): the trainer's standard rate.
constexpr double kDefaultSampleRate = 48000.0;

// Checks `version` ("MAJOR.MINOR.PATCH", 0.5.0 to 0.7.x) and returns the
// `architecture` string.
std::string architecture_of(const json::Value &root);

// Fills format, architecture, sample_rate and metadata_json from the file;
// metadata the file lacks is taken from `container` when given (the file is
// one of its submodels).
void describe_file(const json::Value &root, const std::string &architecture, LoadedModel &loaded,
                   const json::Value *container = nullptr);

// Refuses any member of `object` whose key is not in `known`: a key this
// player does not know may change the maths, so it is never skipped.
void refuse_unknown_keys(const json::Value &object, const std::string &path,
                         std::initializer_list<std::string_view> known);

const json::Value &require_object(const json::Value &object, const std::string &path, std::string_view key);
bool require_bool(const json::Value &object, const std::string &path, std::string_view key);
double require_number(const json::Value &value, const std::string &path);

// A nested document's error (a container's submodel, a condition_dsp), named
// by the document's place in the file: loaders speak of paths inside the
// document they were given.
[[noreturn]] void rethrow_inside(const std::string &path, const FormatError &problem);

// "config.layers[0]" + "channels" -> "config.layers[0].channels"
std::string member(const std::string &path, std::string_view key);
std::string item(const std::string &path, std::size_t index);

// The flat `weights`, consumed in file order. The constructor checks the count
// against what the config needs before copying anything.
class WeightReader {
public:
    // `expected` is counted wide: a hostile config may ask for more than size_t holds on 32-bit ARM.
    WeightReader(const json::Value &root, long long expected, const std::string &what);

    std::vector<float> take(std::size_t count);
    float take_one() { return weights_[next_++]; }
    // A PyTorch Conv1d weight, stored (out, in, kernel) row-major, returned in
    // layers::Conv1d's [kernel][in][out] order.
    std::vector<float> take_conv(std::size_t out, std::size_t in, std::size_t kernel);
    // The same for a grouped conv, stored (out, in / groups, kernel), returned
    // dense: zeros where an output does not read an input (the same maths).
    std::vector<float> take_grouped_conv(std::size_t out, std::size_t in, std::size_t kernel, std::size_t groups);
    // A matrix stored (rows, columns) row-major, returned transposed.
    std::vector<float> take_transposed(std::size_t rows, std::size_t columns);

    std::size_t size() const { return weights_.size(); }
    bool all_taken() const { return next_ == weights_.size(); }

private:
    std::vector<float> weights_;
    std::size_t next_ = 0;
};

}  // namespace pedal::formats::nam
