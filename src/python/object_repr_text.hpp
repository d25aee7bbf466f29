#pragma once
// The pure text side of object_repr: Python's repr() formatting of values
// already copied out of the target. No target access.
#include <cstdint>
#include <span>
#include <string>

namespace corostack::python {

// repr(float): shortest round-trip digits, Python's fixed/exponent switch
// (exponent when the decimal point is before -4 or after 16 digits),
// "1.0", "1e+16", "1e-05", "inf", "-inf", "nan", "-0.0".
std::string python_float_repr(double v);

// Decimal digits of the magnitude held in little-endian 30-bit digits
// (CPython's ob_digit). "0" for no digits. Digits must be < 2^30.
std::string bigint_to_decimal(std::span<const uint32_t> digits);

// Whether repr() keeps the code point as is (see object_repr.hpp for how
// this approximates str.isprintable).
bool python_printable(uint32_t cp);

// Appends cp as UTF-8; surrogates and values past U+10FFFF become U+FFFD.
void append_utf8(std::string& out, uint32_t cp);

// repr(str) of these code points, quotes included, UTF-8 encoded.
std::string python_str_repr(std::span<const uint32_t> code_points);

// repr(bytes), b and quotes included.
std::string python_bytes_repr(std::span<const uint8_t> bytes);

// Python 2: repr(unicode), u and quotes included, pure ASCII (every code
// point outside printable ASCII escaped), and repr(str), a byte string's
// repr without the b.
std::string python2_unicode_repr(std::span<const uint32_t> code_points);
std::string python2_str_repr(std::span<const uint8_t> bytes);

}  // namespace corostack::python
