#include "host/model/money.hpp"

#include <stdexcept>
#include <string>

namespace margin_stress {

micro_usd to_micro_usd_checked(double usd, const char* what) {
  if (!(std::fabs(usd) <= max_money_usd)) {
    throw std::overflow_error(std::string(what) + " of " + std::to_string(usd) +
                              " USD is beyond the fixed-point range of +-4.6e12 USD (docs/model.md, section 1)");
  }
  return to_micro_usd(usd);
}

micro_usd add_checked(micro_usd a, micro_usd b, const char* what) {
  micro_usd sum = 0;
  if (__builtin_add_overflow(a, b, &sum) || sum > max_money || sum < -max_money) {
    throw std::overflow_error(std::string(what) +
                              ": a balance beyond the fixed-point range of +-4.6e12 USD "
                              "(docs/model.md, section 1)");
  }
  return sum;
}

}  // namespace margin_stress
