#include "host/io/checksum.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

#include "host/model/input_error.hpp"

namespace margin_stress {

std::uint32_t crc32_of(const void* data, std::size_t size, std::uint32_t crc) {
  // zlib takes lengths as uInt: feed it in pieces that fit.
  const auto* bytes = static_cast<const Bytef*>(data);
  uLong value = crc;
  while (size > 0) {
    const std::size_t piece = std::min<std::size_t>(size, std::numeric_limits<uInt>::max());
    value = ::crc32(value, bytes, static_cast<uInt>(piece));
    bytes += piece;
    size -= piece;
  }
  return static_cast<std::uint32_t>(value);
}

std::string describe_input_file(const InputFileIdentity& input) {
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08x", input.crc32);
  const std::string sizes = std::to_string(input.bytes) + " bytes, CRC-32 " + crc + ")";
  // Relative to the working directory where the file is inside it (so that a results file names
  // its inputs as the user's shell would), with the absolute path beside it; a file outside the
  // working directory is named by its absolute path alone, as "../.." chains help no one.
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(input.path, error).lexically_normal();
  if (error) return input.path + " (" + sizes;
  const std::filesystem::path working_directory = std::filesystem::current_path(error);
  const std::filesystem::path relative =
      error ? std::filesystem::path() : absolute.lexically_relative(working_directory);
  if (relative.empty() || *relative.begin() == "..") return absolute.string() + " (" + sizes;
  return relative.string() + " (" + absolute.string() + ", " + sizes;
}

InputFileIdentity identify_input_file(const std::string& role, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot read the " + role + " file: " + std::strerror(errno));
  InputFileIdentity identity{role, path, 0, 0};
  std::vector<char> buffer(std::size_t{1} << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    identity.crc32 = crc32_of(buffer.data(), got, identity.crc32);
    identity.bytes += got;
  }
  if (in.bad()) throw InputError(path + ": reading the " + role + " file failed");
  return identity;
}

}  // namespace margin_stress
