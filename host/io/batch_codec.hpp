// A batch of results as bytes, for a run's checkpoint (host/io/checkpoint.hpp): every field of
// every scenario's metrics and series, exactly, so that results read back are the same bits as
// results kept in memory. The bytes are in the machine's own layout and are read back only by the
// same program version (the checkpoint's identity says so); a header checks the byte order and a
// CRC-32 trailer catches a damaged file.
#pragma once

#include <cstdint>
#include <string>

#include "host/model/results.hpp"

namespace margin_stress {

std::string encode_batch(const BatchResults& results);

// What a decoded batch must be: its first scenario, scenario count, steps and markets.
struct BatchShape {
  std::int64_t first_scenario = 0;
  std::int64_t scenarios = 0;
  std::int64_t steps = 0;
  std::int64_t markets = 0;
};

// Decodes what encode_batch wrote; std::runtime_error naming `source` if the bytes are damaged,
// truncated, or hold another shape than `expected`.
BatchResults decode_batch(const std::string& bytes, const BatchShape& expected, const std::string& source);

}  // namespace margin_stress
