// Builds small JSON objects and arrays (model info) for the C ABI, which hands
// Python one string rather than a struct per field. Numbers use the shortest
// text that reads back to the same double.
#pragma once

#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "json/hex.h"

namespace pedal::json {

inline std::string number_text(double value) {
    char text[32];
    auto result = std::to_chars(text, text + sizeof text, value);
    return std::string(text, static_cast<std::size_t>(result.ptr - text));
}

class ArrayWriter {
public:
    ArrayWriter &number(double value) { return raw(number_text(value)); }

    ArrayWriter &integer(long long value) { return raw(std::to_string(value)); }

    // `json_text` must already be valid JSON (e.g. an ObjectWriter's result).
    ArrayWriter &raw(std::string_view json_text) {
        body_ += body_.empty() ? "[" : ",";
        body_ += json_text;
        return *this;
    }

    std::string str() const { return body_.empty() ? "[]" : body_ + "]"; }

private:
    std::string body_;
};

class ObjectWriter {
public:
    ObjectWriter &number(std::string_view key, double value) { return raw(key, number_text(value)); }

    ObjectWriter &integer(std::string_view key, long long value) {
        return raw(key, std::to_string(value));
    }

    ObjectWriter &text(std::string_view key, std::string_view value) {
        return raw(key, quote(value));
    }

    ObjectWriter &integers(std::string_view key, const std::vector<std::size_t> &values) {
        ArrayWriter list;
        for (std::size_t value : values) list.integer(static_cast<long long>(value));
        return raw(key, list.str());
    }

    // `json_text` must already be valid JSON (e.g. another ObjectWriter's result).
    ObjectWriter &raw(std::string_view key, std::string_view json_text) {
        body_ += body_.empty() ? "{" : ",";
        body_ += quote(key);
        body_ += ':';
        body_ += json_text;
        return *this;
    }

    std::string str() const { return body_.empty() ? "{}" : body_ + "}"; }

    static std::string quote(std::string_view value) {
        std::string out = "\"";
        for (unsigned char c : value) {
            if (c == '"' || c == '\\') {
                out += '\\';
                out += static_cast<char>(c);
            } else if (c < 0x20) {
                out += "\\u";
                out += hex_digits(c, 4);
            } else {
                out += static_cast<char>(c);
            }
        }
        return out + "\"";
    }

private:
    std::string body_;
};

}  // namespace pedal::json
