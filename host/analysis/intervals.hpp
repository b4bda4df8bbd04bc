// Monte Carlo uncertainty of a run's headline figures (docs/model.md, "Uncertainty of the
// figures"): 95 % intervals that need no assumption about the distribution of the losses.
#pragma once

#include <cstdint>

namespace margin_stress {

// Two-sided confidence of every interval the summary reports.
inline constexpr double interval_confidence = 0.95;

// Wilson's score interval for a probability estimated as `successes` of `trials` (trials > 0).
struct ProbabilityInterval {
  double lower = 0.0;
  double upper = 0.0;
};
ProbabilityInterval wilson_interval(std::int64_t successes, std::int64_t trials);

// The ranks (1-based, into the ascending sample of n) of the order statistics that bracket the
// p-quantile with probability at least `interval_confidence`, from the binomial distribution of
// how many of n draws fall below it: lower = the largest r with P(Bin(n, p) <= r - 1) <= 0.025,
// upper = the smallest r with P(Bin(n, p) <= r - 1) >= 0.975. lower = 0 when no order statistic
// bounds the quantile from below, upper = n + 1 when none bounds it from above (too few
// scenarios for the level: the quantile may lie beyond the largest loss seen).
struct RankInterval {
  std::int64_t lower = 0;
  std::int64_t upper = 0;
};
RankInterval quantile_rank_interval(std::int64_t n, double p);

}  // namespace margin_stress
