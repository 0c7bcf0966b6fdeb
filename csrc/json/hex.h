// Hex digits as JSON text and our messages write them: the writer's \u00XX
// escapes, the reader's "byte 0xXX" and "\uDC00" in error messages. One place,
// so every hex digit in the core reads the same way.
#pragma once

#include <cstdint>
#include <string>

namespace pedal::json {

enum class HexCase { Lower, Upper };

// The low `count` hex digits of `value`, most significant first, zero-padded.
inline std::string hex_digits(std::uint32_t value, int count, HexCase letters = HexCase::Lower) {
    const char *digits = letters == HexCase::Upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string text;
    for (int shift = 4 * (count - 1); shift >= 0; shift -= 4) text += digits[(value >> shift) & 15u];
    return text;
}

}  // namespace pedal::json
