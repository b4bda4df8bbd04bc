#include "host/analysis/intervals.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace margin_stress {
namespace {

// The standard normal quantile of (1 + interval_confidence) / 2.
constexpr double z_95 = 1.959963984540054;

}  // namespace

ProbabilityInterval wilson_interval(std::int64_t successes, std::int64_t trials) {
  if (trials <= 0 || successes < 0 || successes > trials) {
    throw std::invalid_argument("wilson_interval: needs 0 <= successes <= trials, trials > 0");
  }
  const auto n = static_cast<double>(trials);
  const double share = static_cast<double>(successes) / n;
  const double z2 = z_95 * z_95;
  const double centre = (share + z2 / (2.0 * n)) / (1.0 + z2 / n);
  const double half_width = z_95 / (1.0 + z2 / n) * std::sqrt(share * (1.0 - share) / n + z2 / (4.0 * n * n));
  // The exact ends are 0 with no successes and 1 with all: no rounding just off them.
  return {successes == 0 ? 0.0 : std::max(0.0, centre - half_width),
          successes == trials ? 1.0 : std::min(1.0, centre + half_width)};
}

RankInterval quantile_rank_interval(std::int64_t n, double p) {
  if (n <= 0 || !(p > 0.0 && p < 1.0)) throw std::invalid_argument("quantile_rank_interval: needs n > 0, 0 < p < 1");
  const double tail = (1.0 - interval_confidence) / 2.0;
  const double log_p = std::log(p);
  const double log_q = std::log1p(-p);
  const double log_n_factorial = std::lgamma(static_cast<double>(n) + 1.0);
  RankInterval ranks{0, n + 1};
  // cdf = P(Bin(n, p) <= j), summed term by term; rank r = j + 1 is compared with cdf(r - 1).
  double cdf = 0.0;
  for (std::int64_t j = 0; j < n; ++j) {
    const auto k = static_cast<double>(j);
    cdf += std::exp(log_n_factorial - std::lgamma(k + 1.0) - std::lgamma(static_cast<double>(n - j) + 1.0) + k * log_p +
                    static_cast<double>(n - j) * log_q);
    const std::int64_t rank = j + 1;
    if (cdf <= tail) ranks.lower = rank;
    if (cdf >= 1.0 - tail) {
      ranks.upper = rank;
      break;
    }
  }
  return ranks;
}

}  // namespace margin_stress
