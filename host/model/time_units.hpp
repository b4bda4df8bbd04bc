// The calendar the model's rates are quoted in (docs/model.md): a day of 86,400 s and a year of
// 365 days, so that an annualised volatility or drift means the same in every layer.
#pragma once

namespace margin_stress {

inline constexpr double seconds_per_day = 86400.0;
inline constexpr double seconds_per_year = 365.0 * seconds_per_day;

}  // namespace margin_stress
