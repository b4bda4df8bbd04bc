// CRC-32 checksums (zlib's, the polynomial of gzip, PNG and Python's zlib.crc32), which identify a
// run's input files in its checkpoint: a file changed since is caught even where its path, size
// and time stamp are the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace margin_stress {

// The CRC-32 of `size` bytes at `data`, continuing from `crc` (0 to start).
std::uint32_t crc32_of(const void* data, std::size_t size, std::uint32_t crc = 0);

// An input file as a checkpoint records it.
struct InputFileIdentity {
  std::string role;  // what the run used it for, e.g. "portfolio", "replay BTC-PERP"
  std::string path;
  std::uint64_t bytes = 0;
  std::uint32_t crc32 = 0;
};

// How messages and results name an input file: relative to the working directory, with the
// absolute path beside it, "book.h5 (/home/me/book.h5, 81920 bytes, CRC-32 0a1b2c3d)", or by its
// absolute path alone when it is outside the working directory, "/data/book.h5 (81920 bytes,
// CRC-32 0a1b2c3d)".
std::string describe_input_file(const InputFileIdentity& input);

// Reads `path` whole; InputError naming it if it cannot be read.
InputFileIdentity identify_input_file(const std::string& role, const std::string& path);

}  // namespace margin_stress
