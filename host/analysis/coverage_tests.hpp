// Tests of a coverage claim (docs/backtest.md, "Statistics"): Kupiec's likelihood-ratio
// proportion-of-failures test and the exact binomial test of the same count, the rule that chooses
// between them, Christoffersen's test of independence and the conditional-coverage test. Pure
// functions of counts; no data, no I/O.
//
// Every log-likelihood uses the convention 0 ln 0 = 0 (a term whose count is zero contributes
// nothing, whatever its probability), which is what makes the edge cases (no exceedance, only
// exceedances, no transition out of an exceedance) finite and exact.
#pragma once

#include <cstdint>
#include <vector>

namespace margin_stress {

struct LikelihoodRatioTest {
  double statistic = 0.0;      // the likelihood ratio LR >= 0
  int degrees_of_freedom = 1;  // of its chi-square distribution under the null hypothesis
  double p_value = 1.0;        // P(chi-square(degrees_of_freedom) >= statistic)
};

// P(X >= statistic) for X chi-square with 1 or 2 degrees of freedom, in closed form:
// k = 1: erfc(sqrt(x / 2)) (X is the square of a standard normal); k = 2: exp(-x / 2).
// 1 for statistic <= 0. Throws std::invalid_argument for another k or a NaN statistic.
double chi_square_survival(double statistic, int degrees_of_freedom);

// Kupiec's POF test that `exceedances` out of `observations` independent trials are consistent
// with the exceedance probability `expected_rate` (p = 1 - confidence level):
//   LR_pof = -2 ln[(1-p)^(n-x) p^x] + 2 ln[(1-x/n)^(n-x) (x/n)^x],  chi-square(1).
// Two-sided: too few exceedances are rejected as well as too many. Throws std::invalid_argument
// unless observations >= 1, 0 <= exceedances <= observations and 0 < expected_rate < 1.
LikelihoodRatioTest kupiec_pof(std::int64_t observations, std::int64_t exceedances, double expected_rate);

// The two-sided exact binomial test of `exceedances` = x out of `observations` = n under
// Binomial(n, p), p = `expected_rate`, by the minimum-likelihood method: the p-value is the sum of
// P(k) over every k = 0..n with P(k) <= P(x) (1 + 1e-7), P(k) = C(n, k) p^k (1-p)^(n-k). The
// relative tolerance counts a k whose probability equals P(x) in exact arithmetic but differs from
// it by rounding. Each ln P(k) comes from lgamma, so n in the millions costs n lgamma calls and no
// factorial overflows; a p-value below the smallest double is 0. Same preconditions and errors as
// kupiec_pof.
double exact_binomial_p_value(std::int64_t observations, std::int64_t exceedances, double expected_rate);

// Which test of the exceedance count a backtest reports as its POF verdict.
enum class ProportionTest {
  kupiec_chi_square,  // the likelihood ratio against chi-square(1): asymptotic
  exact_binomial,     // exact_binomial_p_value
};

// Below this expected count n p the chi-square approximation of the likelihood ratio is not
// trusted (the usual rule of at least 5 expected events) and the exact test is used.
inline constexpr double exact_test_below_expected_count = 5.0;

// exact_binomial when observations * expected_rate (in double arithmetic) is below
// exact_test_below_expected_count, else kupiec_chi_square.
ProportionTest chosen_proportion_test(std::int64_t observations, double expected_rate);

// "exact" or "chi-square" (the table), and "exact_binomial" or "kupiec_chi_square" (the CSV and
// JSON).
const char* proportion_test_label(ProportionTest test);
const char* proportion_test_name(ProportionTest test);

// First-order transition counts of an exceedance sequence: n_ij is the number of t >= 1 with
// I(t-1) = i and I(t) = j, so they sum to the sequence's length - 1.
struct TransitionCounts {
  std::int64_t n00 = 0;
  std::int64_t n01 = 0;
  std::int64_t n10 = 0;
  std::int64_t n11 = 0;
};

TransitionCounts count_transitions(const std::vector<bool>& exceedances);

// Christoffersen's test that an exceedance does not make the next one more (or less) likely:
//   pi01 = n01 / (n00 + n01), pi11 = n11 / (n10 + n11), pi = (n01 + n11) / (n00 + n01 + n10 + n11)
//   LR_ind = -2 ln[(1-pi)^(n00+n10) pi^(n01+n11)]
//            + 2 ln[(1-pi01)^n00 pi01^n01 (1-pi11)^n10 pi11^n11],  chi-square(1).
// A row with no transitions out of it (n00 + n01 = 0 or n10 + n11 = 0) contributes nothing; with
// no transitions at all the statistic is 0. Throws std::invalid_argument on a negative count.
LikelihoodRatioTest christoffersen_independence(const TransitionCounts& counts);

// Christoffersen's conditional coverage: LR_cc = LR_pof + LR_ind, chi-square(2).
LikelihoodRatioTest conditional_coverage(const LikelihoodRatioTest& pof, const LikelihoodRatioTest& independence);

}  // namespace margin_stress
