// printf-style formatting into a std::string: the one way tables, warnings and messages format a
// figure (C++17 has no std::format).
#pragma once

#include <string>

namespace margin_stress {

// `pattern` filled as std::printf would fill it, of any length.
std::string printf_string(const char* pattern, ...) __attribute__((format(printf, 1, 2)));

}  // namespace margin_stress
