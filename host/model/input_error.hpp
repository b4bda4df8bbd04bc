// Bad input from a user: a file, a field, a value. The CLI turns it into a one-line message and
// exit code 3; nothing else throws it. The message always names where the value came from
// (file, dataset or field, row) and the allowed range, e.g.
//   "book.h5: /positions/entry_price_usd row 17: -3 is not a positive finite number".
#pragma once

#include <stdexcept>
#include <string>

namespace margin_stress {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A command that cannot run as written although its inputs are good: an output file that exists
// without --force, a checkpoint that needs --resume or --force. The CLI exits with 2, as for the
// usage errors CLI11 finds (README). An InputError, so that whoever handles bad input handles it.
class UsageError : public InputError {
 public:
  using InputError::InputError;
};

}  // namespace margin_stress
