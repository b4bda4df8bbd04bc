// The checksum a results file carries over its data (docs/results.md, "Checksum"), so that a
// reader can tell a file whose numbers were damaged or edited after the run from the one the run
// wrote, with h5py and zlib alone.
#pragma once

#include <cstdint>

#include "host/io/hdf5_handles.hpp"

namespace margin_stress {

// CRC-32 (zlib's) over every dataset of `file`, in ascending byte order of their paths: for each,
// its path without the leading '/', a NUL byte, then its elements in row-major order as the
// little-endian bytes of its stored type (variable-length strings: each one's UTF-8 bytes and a NUL).
std::uint32_t datasets_crc32(const hdf5::File& file);

}  // namespace margin_stress
