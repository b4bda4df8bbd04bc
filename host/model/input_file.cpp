#include "host/model/input_file.hpp"

#include <filesystem>
#include <system_error>

#include "host/model/input_error.hpp"

namespace margin_stress {

void check_file_size(const std::string& path, std::uintmax_t limit_bytes, const std::string& what) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error || size <= limit_bytes) return;
  throw InputError(path + ": the " + what + " is " + std::to_string(size) + " bytes, above the limit of " +
                   std::to_string(limit_bytes) + " bytes (" + std::to_string(limit_bytes >> 20) + " MiB) for a " +
                   what);
}

}  // namespace margin_stress
