// Money in integer fixed point (docs/model.md, "Arithmetic and money").
// Every cash balance and every transfer is a whole number of micro-dollars, so that sums do not
// depend on the order of additions (a GPU can reproduce them bit for bit) and conservation of
// money is exact in integers.
#pragma once

#include <cmath>
#include <cstdint>

#include "host/model/host_device.hpp"

namespace margin_stress {

using micro_usd = std::int64_t;

inline constexpr double micro_usd_per_usd = 1.0e6;

// Largest magnitude a single balance or transfer may take: 2^62 micro-dollars (about 4.6e12 USD),
// leaving headroom so that adding two in-range amounts cannot overflow.
inline constexpr double max_money_usd = 4.6e12;
inline constexpr micro_usd max_money = micro_usd{1} << 62;

// Rounds half away from zero; the caller guarantees |usd| <= max_money_usd (inputs are validated
// at the boundary, and model.md bounds every amount derived from them).
MARGIN_STRESS_HOST_DEVICE inline micro_usd to_micro_usd(double usd) {
  return static_cast<micro_usd>(::llround(usd * micro_usd_per_usd));
}

// The same, for amounts that a scenario's own dynamics produce: throws std::overflow_error naming
// `what` instead of overflowing when |usd| exceeds max_money_usd (or is not finite).
micro_usd to_micro_usd_checked(double usd, const char* what);

// a + b, throwing std::overflow_error naming `what` when the sum leaves [-2^62, 2^62]: every
// balance and total the engines keep is added through this (docs/model.md, section 1).
micro_usd add_checked(micro_usd a, micro_usd b, const char* what);

// Moves `amount` from one balance to another, both checked as add_checked does.
inline void transfer(micro_usd& from, micro_usd& to, micro_usd amount, const char* what) {
  from = add_checked(from, -amount, what);
  to = add_checked(to, amount, what);
}

// The same without exceptions, for device code: an amount or a sum outside +-2^62 micro-dollars
// clears `in_range` (and the conversion gives 0), and the caller turns that into the error the
// checked functions raise. In-range inputs cannot overflow the int64 sum itself.
MARGIN_STRESS_HOST_DEVICE inline micro_usd to_micro_usd_in_range(double usd, bool& in_range) {
  if (!(usd <= max_money_usd && usd >= -max_money_usd)) {
    in_range = false;
    return 0;
  }
  return to_micro_usd(usd);
}

MARGIN_STRESS_HOST_DEVICE inline micro_usd add_in_range(micro_usd a, micro_usd b, bool& in_range) {
  const micro_usd sum = a + b;
  if (sum > max_money || sum < -max_money) in_range = false;
  return sum;
}

// Cash in the model's arithmetic (equity, ADL shares): multiplies by the double nearest 1e-6 rather
// than dividing by 1e6, as the engines' hot loop converts every account's cash and both engines
// must round the same way (docs/model.md, section 1).
inline constexpr double usd_per_micro_usd = 1.0e-6;
MARGIN_STRESS_HOST_DEVICE inline double to_usd(micro_usd amount) {
  return static_cast<double>(amount) * usd_per_micro_usd;
}

// Money reported (results, summaries, reports): amount / 1e6, which is the double nearest the
// amount in USD whenever |amount| <= 2^53 micro-dollars (about 9.0e9 USD: the amount converts
// exactly and the division is correctly rounded); to_usd's product is not the nearest for about one
// amount in three. Beyond 2^53 the conversion to double rounds first (docs/model.md, section 1).
MARGIN_STRESS_HOST_DEVICE inline double usd_figure(micro_usd amount) { return static_cast<double>(amount) / 1.0e6; }

}  // namespace margin_stress
