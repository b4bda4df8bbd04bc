// A command line that cannot be run as asked, found after parsing (an option's value that depends on
// the configuration or the book, an output that exists): main turns it into its message and exit
// code 2, as CLI11's own usage errors.
#pragma once

#include <stdexcept>

namespace margin_stress {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace margin_stress
