#include "host/model/text_format.hpp"

#include <cstdarg>
#include <cstdio>
#include <vector>

namespace margin_stress {

std::string printf_string(const char* pattern, ...) {
  std::va_list arguments;
  va_start(arguments, pattern);
  std::va_list measuring;
  va_copy(measuring, arguments);
  const int length = std::vsnprintf(nullptr, 0, pattern, measuring);
  va_end(measuring);
  std::string text;
  if (length > 0) {
    std::vector<char> buffer(static_cast<std::size_t>(length) + 1);
    std::vsnprintf(buffer.data(), buffer.size(), pattern, arguments);
    text.assign(buffer.data(), static_cast<std::size_t>(length));
  }
  va_end(arguments);
  return text;
}

}  // namespace margin_stress
