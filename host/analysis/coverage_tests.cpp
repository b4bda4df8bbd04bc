#include "host/analysis/coverage_tests.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace margin_stress {
namespace {

// count * ln(probability) with 0 ln 0 = 0.
double count_log(std::int64_t count, double probability) {
  return count == 0 ? 0.0 : static_cast<double>(count) * std::log(probability);
}

// ln[(1 - q)^non_events q^events]: the log-likelihood of independent Bernoulli(q) trials.
double bernoulli_log_likelihood(std::int64_t non_events, std::int64_t events, double event_probability) {
  return count_log(non_events, 1.0 - event_probability) + count_log(events, event_probability);
}

double rate(std::int64_t events, std::int64_t total) {
  return total == 0 ? 0.0 : static_cast<double>(events) / static_cast<double>(total);
}

LikelihoodRatioTest make_test(double log_likelihood_alternative, double log_likelihood_null, int degrees_of_freedom) {
  LikelihoodRatioTest test;
  // The alternative is the maximum-likelihood fit, so the difference is >= 0 in exact arithmetic; a
  // null that coincides with it can come out a few ulps negative.
  test.statistic = std::max(0.0, 2.0 * (log_likelihood_alternative - log_likelihood_null));
  test.degrees_of_freedom = degrees_of_freedom;
  test.p_value = chi_square_survival(test.statistic, degrees_of_freedom);
  return test;
}

void check_count_arguments(const char* test, std::int64_t observations, std::int64_t exceedances,
                           double expected_rate) {
  if (observations < 1 || exceedances < 0 || exceedances > observations) {
    throw std::invalid_argument(std::string(test) + ": " + std::to_string(exceedances) + " exceedances in " +
                                std::to_string(observations) + " observations");
  }
  if (!(expected_rate > 0.0 && expected_rate < 1.0)) {
    throw std::invalid_argument(std::string(test) + ": expected rate " + std::to_string(expected_rate) +
                                " is not in (0, 1)");
  }
}

}  // namespace

double chi_square_survival(double statistic, int degrees_of_freedom) {
  if (std::isnan(statistic)) throw std::invalid_argument("chi_square_survival: the statistic is NaN");
  if (degrees_of_freedom != 1 && degrees_of_freedom != 2) {
    throw std::invalid_argument("chi_square_survival: " + std::to_string(degrees_of_freedom) +
                                " degrees of freedom; only 1 and 2 have the closed forms used here");
  }
  if (statistic <= 0.0) return 1.0;
  // erfc rather than 1 - erf: p-values far in the tail (1e-30) keep their relative precision.
  return degrees_of_freedom == 1 ? std::erfc(std::sqrt(statistic / 2.0)) : std::exp(-statistic / 2.0);
}

LikelihoodRatioTest kupiec_pof(std::int64_t observations, std::int64_t exceedances, double expected_rate) {
  check_count_arguments("kupiec_pof", observations, exceedances, expected_rate);
  const std::int64_t covered = observations - exceedances;
  return make_test(bernoulli_log_likelihood(covered, exceedances, rate(exceedances, observations)),
                   bernoulli_log_likelihood(covered, exceedances, expected_rate), 1);
}

double exact_binomial_p_value(std::int64_t observations, std::int64_t exceedances, double expected_rate) {
  check_count_arguments("exact_binomial_p_value", observations, exceedances, expected_rate);
  const double n = static_cast<double>(observations);
  const double log_rate = std::log(expected_rate);
  const double log_complement = std::log1p(-expected_rate);
  const auto log_probability = [&](std::int64_t k) {
    const double kd = static_cast<double>(k);
    return std::lgamma(n + 1.0) - std::lgamma(kd + 1.0) - std::lgamma(n - kd + 1.0) + kd * log_rate +
           (n - kd) * log_complement;
  };
  const double log_observed = log_probability(exceedances);
  const double log_bound = log_observed + std::log1p(1e-7);
  // Every included term is at most (1 + 1e-7) P(x), so the sum relative to P(x) stays below
  // n + 2 and neither overflows nor loses a p-value whose terms are all far below 1e-308.
  double relative_sum = 0.0;
  for (std::int64_t k = 0; k <= observations; ++k) {
    const double log_p = log_probability(k);
    if (log_p <= log_bound) relative_sum += std::exp(log_p - log_observed);
  }
  return std::min(1.0, relative_sum * std::exp(log_observed));
}

ProportionTest chosen_proportion_test(std::int64_t observations, double expected_rate) {
  return static_cast<double>(observations) * expected_rate < exact_test_below_expected_count
             ? ProportionTest::exact_binomial
             : ProportionTest::kupiec_chi_square;
}

const char* proportion_test_label(ProportionTest test) {
  return test == ProportionTest::exact_binomial ? "exact" : "chi-square";
}

const char* proportion_test_name(ProportionTest test) {
  return test == ProportionTest::exact_binomial ? "exact_binomial" : "kupiec_chi_square";
}

TransitionCounts count_transitions(const std::vector<bool>& exceedances) {
  TransitionCounts counts;
  for (std::size_t t = 1; t < exceedances.size(); ++t) {
    if (exceedances[t - 1]) {
      ++(exceedances[t] ? counts.n11 : counts.n10);
    } else {
      ++(exceedances[t] ? counts.n01 : counts.n00);
    }
  }
  return counts;
}

LikelihoodRatioTest christoffersen_independence(const TransitionCounts& c) {
  if (c.n00 < 0 || c.n01 < 0 || c.n10 < 0 || c.n11 < 0) {
    throw std::invalid_argument("christoffersen_independence: a negative transition count");
  }
  const double pi01 = rate(c.n01, c.n00 + c.n01);
  const double pi11 = rate(c.n11, c.n10 + c.n11);
  const double pi = rate(c.n01 + c.n11, c.n00 + c.n01 + c.n10 + c.n11);
  const double alternative =
      bernoulli_log_likelihood(c.n00, c.n01, pi01) + bernoulli_log_likelihood(c.n10, c.n11, pi11);
  const double null = bernoulli_log_likelihood(c.n00 + c.n10, c.n01 + c.n11, pi);
  return make_test(alternative, null, 1);
}

LikelihoodRatioTest conditional_coverage(const LikelihoodRatioTest& pof, const LikelihoodRatioTest& independence) {
  LikelihoodRatioTest test;
  test.statistic = pof.statistic + independence.statistic;
  test.degrees_of_freedom = 2;
  test.p_value = chi_square_survival(test.statistic, 2);
  return test;
}

}  // namespace margin_stress
