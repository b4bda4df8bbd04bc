// The coverage tests of host/analysis/coverage_tests.hpp against values computed by hand from the
// formulas of docs/backtest.md (the arithmetic is in the comments) and against textbook quantiles.
#include "host/analysis/coverage_tests.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

namespace margin_stress {
namespace {

// chi-square(1) is the square of a standard normal, so its upper quantiles are the squares of the
// normal's two-sided ones: 1.959963984540054^2 = 3.841458820694124 (5 %),
// 2.5758293035489004^2 = 6.634896601021214 (1 %). chi-square(2) is exponential with mean 2:
// P(X > x) = exp(-x / 2), so its 5 % quantile is 2 ln 20 = 5.991464547107979 and its 1 % one
// 2 ln 100 = 9.210340371976184.
TEST(ChiSquareSurvival, MatchesTextbookQuantiles) {
  EXPECT_NEAR(chi_square_survival(3.841458820694124, 1), 0.05, 1e-14);
  EXPECT_NEAR(chi_square_survival(6.634896601021214, 1), 0.01, 1e-14);
  EXPECT_NEAR(chi_square_survival(5.991464547107979, 2), 0.05, 1e-14);
  EXPECT_NEAR(chi_square_survival(9.210340371976184, 2), 0.01, 1e-14);
  // The rounded table values used in practice.
  EXPECT_NEAR(chi_square_survival(3.841, 1), 0.05, 1e-4);
  EXPECT_NEAR(chi_square_survival(6.635, 1), 0.01, 1e-5);
  EXPECT_NEAR(chi_square_survival(5.991, 2), 0.05, 1e-4);
}

TEST(ChiSquareSurvival, HandlesTheEnds) {
  EXPECT_EQ(chi_square_survival(0.0, 1), 1.0);
  EXPECT_EQ(chi_square_survival(-2.0, 2), 1.0);
  EXPECT_EQ(chi_square_survival(std::numeric_limits<double>::infinity(), 1), 0.0);
  EXPECT_EQ(chi_square_survival(std::numeric_limits<double>::infinity(), 2), 0.0);
  // Far in the tail the p-value keeps its relative precision (erfc, not 1 - erf):
  // P(chi2(1) > 100) = erfc(sqrt(50)) = 1.5239706048e-23.
  EXPECT_NEAR(chi_square_survival(100.0, 1) / 1.5239706048e-23, 1.0, 1e-9);
}

TEST(ChiSquareSurvival, RejectsWhatItCannotCompute) {
  EXPECT_THROW(chi_square_survival(1.0, 3), std::invalid_argument);
  EXPECT_THROW(chi_square_survival(1.0, 0), std::invalid_argument);
  EXPECT_THROW(chi_square_survival(std::nan(""), 1), std::invalid_argument);
}

// n = 250, x = 5, p = 0.01 (the Basel one-year backtest with five exceptions):
//   ln L0 = 245 ln 0.99 + 5 ln 0.01 = -2.4623323 - 23.0258509 = -25.4881832
//   ln L1 = 245 ln 0.98 + 5 ln 0.02 = -4.9496633 - 19.5601150 = -24.5097783
//   LR_pof = 2 (ln L1 - ln L0) = 1.9568098, p = erfc(sqrt(0.9784049)) = 0.1618549
TEST(KupiecPof, MatchesTheHandComputedBaselExample) {
  const LikelihoodRatioTest test = kupiec_pof(250, 5, 0.01);
  EXPECT_NEAR(test.statistic, 1.956809788230622, 1e-12);
  EXPECT_NEAR(test.p_value, 0.16185491719604272, 1e-12);
  EXPECT_EQ(test.degrees_of_freedom, 1);
  EXPECT_GT(test.p_value, 0.05);  // five exceptions in 250 days do not reject 99 % coverage
}

// n = 99, x = 4, p = 0.01:
//   ln L0 = 95 ln 0.99 + 4 ln 0.01 = -0.9547819 - 18.4206807 = -19.3754627
//   ln L1 = 95 ln(95/99) + 4 ln(4/99) = -3.9180811 - 12.8353020 = -16.7533830
//   LR_pof = 5.2441593, p = 0.0220206: rejected at 5 %.
TEST(KupiecPof, RejectsTooManyExceedances) {
  const LikelihoodRatioTest test = kupiec_pof(99, 4, 0.01);
  EXPECT_NEAR(test.statistic, 5.244159266483074, 1e-12);
  EXPECT_NEAR(test.p_value, 0.022020566522799885, 1e-12);
}

// x = 0: the alternative's likelihood is (1 - 0)^n 0^0 = 1 (0 ln 0 = 0), so
// LR_pof = -2 n ln(1 - p) = -500 ln 0.99 = 5.0251679, p = 0.0249815: zero exceedances in 250 are
// too few for a 1 % claim, and the test is two-sided. x = n: LR_pof = -2 n ln p = -20 ln 0.01.
TEST(KupiecPof, EdgeCasesUseZeroLogZero) {
  const LikelihoodRatioTest none = kupiec_pof(250, 0, 0.01);
  EXPECT_NEAR(none.statistic, 5.025167926750726, 1e-12);
  EXPECT_NEAR(none.p_value, 0.02498150305344971, 1e-12);
  const LikelihoodRatioTest all = kupiec_pof(10, 10, 0.01);
  EXPECT_NEAR(all.statistic, 92.10340371976181, 1e-11);
  EXPECT_TRUE(std::isfinite(all.p_value));
  // The observed rate equal to the claim: LR = 0 exactly, never a negative rounding residue.
  const LikelihoodRatioTest exact = kupiec_pof(200, 2, 0.01);
  EXPECT_GE(exact.statistic, 0.0);
  EXPECT_NEAR(exact.statistic, 0.0, 1e-12);
  EXPECT_NEAR(exact.p_value, 1.0, 1e-6);
}

TEST(KupiecPof, RejectsImpossibleCounts) {
  EXPECT_THROW(kupiec_pof(0, 0, 0.01), std::invalid_argument);
  EXPECT_THROW(kupiec_pof(10, 11, 0.01), std::invalid_argument);
  EXPECT_THROW(kupiec_pof(10, -1, 0.01), std::invalid_argument);
  EXPECT_THROW(kupiec_pof(10, 1, 0.0), std::invalid_argument);
  EXPECT_THROW(kupiec_pof(10, 1, 1.0), std::invalid_argument);
}

// n = 10, p = 0.05. By hand: P(0) = 0.95^10 = 0.5987369392, P(1) = 10 (0.05) 0.95^9 = 0.3151247048,
// P(2) = 45 (0.05^2) 0.95^8 = 0.0746347985, P(3) = 120 (0.05^3) 0.95^7 = 0.0104750594, and P(k)
// falls from k = 1 on (P(k+1) / P(k) = (10 - k) 0.05 / ((k + 1) 0.95) < 1). So for x = 2 the
// outcomes at most as likely as x are k = 2..10, and the p-value is
//   1 - P(0) - P(1) = 1 - 0.95^10 - 0.5 (0.95^9) = 0.0861383559 (the terms to 12 places:
//   0.598736939238, 0.315124704862);
// for x = 1 it is 1 - P(0) = 0.4012630608, and x = 0, the most likely outcome, gives 1.
TEST(ExactBinomial, MatchesHandComputedPValues) {
  EXPECT_NEAR(exact_binomial_p_value(10, 2, 0.05), 1.0 - std::pow(0.95, 10) - 0.5 * std::pow(0.95, 9), 1e-14);
  EXPECT_NEAR(exact_binomial_p_value(10, 2, 0.05), 0.0861383559, 1e-10);
  EXPECT_NEAR(exact_binomial_p_value(10, 1, 0.05), 0.4012630608, 1e-10);
  EXPECT_EQ(exact_binomial_p_value(10, 0, 0.05), 1.0);
  // x = 3 adds nothing from below: 1 - P(0) - P(1) - P(2) = 0.0861383559 - 0.0746347985 = 0.0115035574.
  EXPECT_NEAR(exact_binomial_p_value(10, 3, 0.05), 0.0115035574, 1e-10);
}

// n = 20, p = 0.3, x = 10 (the mode is 6): P(10) = C(20,10) 0.3^10 0.7^10 = 0.0308170809. Below the
// mode P(0) = 0.0007979227, P(1) = 0.0068393371, P(2) = 0.0278458725 are no likelier than P(10), and
// P(3) = 0.0716036722 is. So the p-value takes both tails: P(0) + P(1) + P(2) + P(X >= 10), the last
// summed here from the binomial coefficients as integers, not through lgamma.
TEST(ExactBinomial, SumsBothTails) {
  double upper = 0.0;
  double coefficient = 1.0;  // C(20, k), built up as an exact integer
  for (int k = 0; k <= 20; ++k) {
    if (k >= 10) upper += coefficient * std::pow(0.3, k) * std::pow(0.7, 20 - k);
    coefficient = coefficient * (20 - k) / (k + 1);
  }
  const double lower = 0.0007979227 + 0.0068393371 + 0.0278458725;
  EXPECT_NEAR(exact_binomial_p_value(20, 10, 0.3), lower + upper, 1e-9);
  EXPECT_NEAR(exact_binomial_p_value(20, 10, 0.3), 0.0834450296, 1e-9);
}

// p = 1/2 makes P(k) = P(n - k) exactly, which rounding must not split: n = 10, x = 3 takes
// k = 0..3 and 7..10, 2 (1 + 10 + 45 + 120) / 1024 = 352 / 1024; x = 5, the mode, gives 1.
TEST(ExactBinomial, CountsTiesWithinTheTolerance) {
  EXPECT_NEAR(exact_binomial_p_value(10, 3, 0.5), 352.0 / 1024.0, 1e-14);
  EXPECT_NEAR(exact_binomial_p_value(10, 7, 0.5), 352.0 / 1024.0, 1e-14);
  EXPECT_EQ(exact_binomial_p_value(10, 5, 0.5), 1.0);
}

// At large n both tests approximate the same normal tail. They differ by the discreteness: the
// exact test counts the atom at x and the atoms it takes on the far side in full, each no likelier
// than P(x), where the chi-square's continuous law counts about half of them; so they agree within
// 2 P(x), here about 1 % of the p-value. n = 5,000,000 shows the lgamma form in the millions.
TEST(ExactBinomial, AgreesWithTheChiSquareAtLargeN) {
  for (const std::int64_t n : {std::int64_t{1000000}, std::int64_t{5000000}}) {
    const double p = 0.01;
    const double sd = std::sqrt(static_cast<double>(n) * p * (1.0 - p));
    for (const double z : {-2.0, -1.0, 1.0, 2.0}) {
      const auto x = static_cast<std::int64_t>(std::llround(static_cast<double>(n) * p + z * sd));
      const double nd = static_cast<double>(n);
      const double xd = static_cast<double>(x);
      const double atom = std::exp(std::lgamma(nd + 1.0) - std::lgamma(xd + 1.0) - std::lgamma(nd - xd + 1.0) +
                                   xd * std::log(p) + (nd - xd) * std::log1p(-p));
      const double exact = exact_binomial_p_value(n, x, p);
      const double chi_square = kupiec_pof(n, x, p).p_value;
      ASSERT_TRUE(std::isfinite(exact));
      EXPECT_NEAR(exact, chi_square, 2.0 * atom) << "n " << n << ", x " << x;
      EXPECT_NEAR(exact / chi_square, 1.0, 0.02) << "n " << n << ", x " << x;
    }
  }
}

// Far tails: x = n = 1000 at p = 0.01 has P(x) = 1e-2000, below every double, and gives 0, not NaN.
TEST(ExactBinomial, UnderflowsToZeroNotNaN) {
  EXPECT_EQ(exact_binomial_p_value(1000, 1000, 0.01), 0.0);
  EXPECT_THROW(exact_binomial_p_value(0, 0, 0.01), std::invalid_argument);
  EXPECT_THROW(exact_binomial_p_value(10, 11, 0.01), std::invalid_argument);
  EXPECT_THROW(exact_binomial_p_value(10, 1, 1.0), std::invalid_argument);
}

// The exact test below an expected count of 5, the chi-square from 5 on: n p = 19 x 0.25 = 4.75
// and 20 x 0.25 = 5 exactly in binary; the brief backtest of 95 windows at 99.5 % expects 0.475,
// the hourly history's 48417 windows at 99 % expect 484.
TEST(ChosenProportionTest, SwitchesAtAnExpectedCountOfFive) {
  EXPECT_EQ(exact_test_below_expected_count, 5.0);
  EXPECT_EQ(chosen_proportion_test(19, 0.25), ProportionTest::exact_binomial);
  EXPECT_EQ(chosen_proportion_test(20, 0.25), ProportionTest::kupiec_chi_square);
  EXPECT_EQ(chosen_proportion_test(95, 0.005), ProportionTest::exact_binomial);
  EXPECT_EQ(chosen_proportion_test(48417, 0.01), ProportionTest::kupiec_chi_square);
  EXPECT_STREQ(proportion_test_name(ProportionTest::exact_binomial), "exact_binomial");
  EXPECT_STREQ(proportion_test_name(ProportionTest::kupiec_chi_square), "kupiec_chi_square");
}

// 0 0 0 1 1 0 0 0 1 0 0 0: the 11 transitions are 00 00 01 11 10 00 00 01 10 00 00.
TEST(CountTransitions, CountsAHandMadeSequence) {
  const std::vector<bool> sequence{false, false, false, true, true, false, false, false, true, false, false, false};
  const TransitionCounts counts = count_transitions(sequence);
  EXPECT_EQ(counts.n00, 6);
  EXPECT_EQ(counts.n01, 2);
  EXPECT_EQ(counts.n10, 2);
  EXPECT_EQ(counts.n11, 1);
  const TransitionCounts empty = count_transitions({});
  EXPECT_EQ(empty.n00 + empty.n01 + empty.n10 + empty.n11, 0);
  const TransitionCounts one = count_transitions({true});
  EXPECT_EQ(one.n00 + one.n01 + one.n10 + one.n11, 0);
}

// n00 = 6, n01 = 2, n10 = 2, n11 = 1: pi01 = 2/8, pi11 = 1/3, pi = 3/11.
//   ln L1 = 6 ln 0.75 + 2 ln 0.25 + 2 ln(2/3) + ln(1/3) = -1.7260924 - 2.7725887 - 0.8109302 - 1.0986123
//         = -6.4082237
//   ln L0 = 8 ln(8/11) + 3 ln(3/11) = -2.5476298 - 3.8978490 = -6.4454788
//   LR_ind = 2 (ln L1 - ln L0) = 0.0745103, p = erfc(sqrt(0.0372551)) = 0.7848796
TEST(ChristoffersenIndependence, MatchesTheHandComputedSequence) {
  const LikelihoodRatioTest test = christoffersen_independence({6, 2, 2, 1});
  EXPECT_NEAR(test.statistic, 0.07451027900830987, 1e-12);
  EXPECT_NEAR(test.p_value, 0.7848795741418118, 1e-12);
  EXPECT_EQ(test.degrees_of_freedom, 1);
}

// 990 calm steps, then 10 exceedances in a row: n00 = 989, n01 = 1, n10 = 0, n11 = 9.
//   pi01 = 1/990, pi11 = 1, pi = 10/999
//   ln L1 = 989 ln(989/990) + ln(1/990) + 9 ln 1 = -0.9994948 - 6.8977049 = -7.8971997
//   ln L0 = 989 ln(989/999) + 10 ln(10/999) = -9.9497821 - 46.0416969 = -55.9914790
//   LR_ind = 96.18856, far beyond the 1 % quantile 6.635: clustering is rejected.
TEST(ChristoffersenIndependence, RejectsClusteredExceedances) {
  std::vector<bool> sequence(1000, false);
  for (std::size_t t = 990; t < 1000; ++t) sequence[t] = true;
  const TransitionCounts counts = count_transitions(sequence);
  EXPECT_EQ(counts.n00, 989);
  EXPECT_EQ(counts.n01, 1);
  EXPECT_EQ(counts.n10, 0);
  EXPECT_EQ(counts.n11, 9);
  const double expected = 2.0 * ((989.0 * std::log(989.0 / 990.0) + std::log(1.0 / 990.0)) -
                                 (989.0 * std::log(989.0 / 999.0) + 10.0 * std::log(10.0 / 999.0)));
  const LikelihoodRatioTest test = christoffersen_independence(counts);
  EXPECT_NEAR(expected, 96.18856, 1e-4);  // the hand arithmetic above
  EXPECT_NEAR(test.statistic, expected, 1e-9);
  EXPECT_LT(test.p_value, 1e-20);
}

// No exceedance at all (n01 + n11 = 0): pi = pi01 = 0 and the row out of 1 is empty, so both
// likelihoods are 1 and LR_ind = 0. Only exceedances: pi = pi11 = 1, likewise 0.
TEST(ChristoffersenIndependence, EdgeCasesUseZeroLogZero) {
  const LikelihoodRatioTest none = christoffersen_independence({100, 0, 0, 0});
  EXPECT_EQ(none.statistic, 0.0);
  EXPECT_EQ(none.p_value, 1.0);
  const LikelihoodRatioTest all = christoffersen_independence({0, 0, 0, 100});
  EXPECT_EQ(all.statistic, 0.0);
  const LikelihoodRatioTest empty = christoffersen_independence({0, 0, 0, 0});
  EXPECT_EQ(empty.statistic, 0.0);
  // A last-step exceedance leaves the row out of 1 empty (n10 + n11 = 0): finite.
  const LikelihoodRatioTest last = christoffersen_independence({98, 1, 0, 0});
  EXPECT_TRUE(std::isfinite(last.statistic));
  EXPECT_GE(last.statistic, 0.0);
  EXPECT_THROW(christoffersen_independence({-1, 0, 0, 0}), std::invalid_argument);
}

// LR_cc = 1.9568098 + 0.0745103 = 2.0313201 with 2 degrees of freedom: p = exp(-1.01566) = 0.36216.
TEST(ConditionalCoverage, SumsTheStatisticsWithTwoDegreesOfFreedom) {
  const LikelihoodRatioTest test =
      conditional_coverage(kupiec_pof(250, 5, 0.01), christoffersen_independence({6, 2, 2, 1}));
  EXPECT_NEAR(test.statistic, 1.956809788230622 + 0.07451027900830987, 1e-12);
  EXPECT_EQ(test.degrees_of_freedom, 2);
  EXPECT_NEAR(test.p_value, std::exp(-(1.956809788230622 + 0.07451027900830987) / 2.0), 1e-12);
  EXPECT_NEAR(test.p_value, 0.36216, 1e-5);
}

}  // namespace
}  // namespace margin_stress
