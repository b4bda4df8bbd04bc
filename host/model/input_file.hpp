// Size limits of the text files a user gives (docs/config.md, "File size"; docs/calibration.md,
// "Input"), checked before a file is read: a file far larger than any real one is a mistake (a
// wrong path, a binary), and reading it whole would take seconds and gigabytes before the parser
// refused it.
#pragma once

#include <cstdint>
#include <string>

namespace margin_stress {

// Configs and policy files: the largest preset is a few kilobytes.
inline constexpr std::uintmax_t max_config_file_bytes = std::uintmax_t{16} << 20;  // 16 MiB
// Price CSV files: a year of one-minute bars is about 35 MB.
inline constexpr std::uintmax_t max_price_file_bytes = std::uintmax_t{512} << 20;  // 512 MiB

// Throws InputError naming `path`, its size and the limit when the file is larger than
// `limit_bytes`; `what` says which kind of file ("config file"). A file whose size cannot be read
// passes: opening it reports why.
void check_file_size(const std::string& path, std::uintmax_t limit_bytes, const std::string& what);

}  // namespace margin_stress
