// Counter-based random numbers (scenarios/rng.hpp): the Philox known answer, the uniform and
// normal transforms, and the Poisson inverse CDF. Statistical checks use fixed seeds and bounds
// of 5 standard errors computed from the sample size.
#include "scenarios/rng.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace margin_stress::rng {
namespace {

constexpr std::uint64_t test_seed = 0x0123456789ABCDEFull;

struct SampleMoments {
  double mean = 0.0;
  double variance = 0.0;  // unbiased
};

SampleMoments moments(const std::vector<double>& sample) {
  double sum = 0.0;
  for (double x : sample) sum += x;
  const double mean = sum / static_cast<double>(sample.size());
  double squares = 0.0;
  for (double x : sample) squares += (x - mean) * (x - mean);
  return {mean, squares / static_cast<double>(sample.size() - 1)};
}

TEST(Philox, MatchesRandom123KnownAnswer) {
  // Random123's kat_vectors: philox4x32 10 rounds, counter {0,0,0,0}, key {0,0}.
  const philox_block block = draw_block(make_key(0), scenario_counter(0, 0, 0, 0));
  EXPECT_EQ(block[0], 0x6627e8d5u);
  EXPECT_EQ(block[1], 0xe169c58du);
  EXPECT_EQ(block[2], 0xbc57ac4cu);
  EXPECT_EQ(block[3], 0x9b00dbd8u);
}

TEST(Philox, KeyAndCounterWordsAreLaidOutAsDocumented) {
  const philox_key key = make_key(0x0000000500000007ull);
  EXPECT_EQ(key[0], 7u);
  EXPECT_EQ(key[1], 5u);
  const philox_counter scenario = scenario_counter(11, 13, stream_jump_count, 17);
  EXPECT_EQ(scenario[0], 11u);
  EXPECT_EQ(scenario[1], 13u);
  EXPECT_EQ(scenario[2], stream_jump_count);
  EXPECT_EQ(scenario[3], 17u);
  const philox_counter account = account_counter((std::int64_t{3} << 32) + 9, stream_leverage, 2);
  EXPECT_EQ(account[0], 9u);
  EXPECT_EQ(account[1], 3u);
  EXPECT_EQ(account[2], stream_leverage);
  EXPECT_EQ(account[3], 2u);
}

TEST(Uniform, IsStrictlyInsideTheUnitIntervalAtTheExtremeWords) {
  EXPECT_EQ(uniform_from_words(0, 0), 0x1p-54);
  EXPECT_GT(uniform_from_words(0, 0), 0.0);
  EXPECT_LT(uniform_from_words(0xFFFFFFFFu, 0xFFFFFFFFu), 1.0);
  EXPECT_EQ(uniform_from_words(0xFFFFFFFFu, 0xFFFFFFFFu), 1.0 - 0x1p-53);
  // Only the top 27 bits of hi and 26 bits of lo count.
  EXPECT_EQ(uniform_from_words(0x1Fu, 0x3Fu), uniform_from_words(0, 0));
  EXPECT_EQ(uniform_from_words(0x20u, 0), (67108864.0 + 0.5) * 0x1p-53);
  EXPECT_EQ(uniform_from_words(0, 0x40u), 1.5 * 0x1p-53);
}

TEST(Uniform, MomentsOfAMillionDrawsMatchTheUniformDistribution) {
  const philox_key key = make_key(test_seed);
  std::vector<double> sample;
  sample.reserve(1000000);
  for (std::uint32_t b = 0; b < 500000; ++b) {
    const philox_block block = draw_block(key, scenario_counter(b % 1000, b / 1000, stream_regime, 0));
    sample.push_back(first_uniform(block));
    sample.push_back(second_uniform(block));
  }
  for (double u : sample) ASSERT_TRUE(u > 0.0 && u < 1.0) << u;
  const SampleMoments m = moments(sample);
  const double n = static_cast<double>(sample.size());
  // mean: variance 1/12; sample variance: Var = (mu4 - sigma^4) / n with mu4 = 1/80.
  EXPECT_NEAR(m.mean, 0.5, 5.0 * std::sqrt(1.0 / 12.0 / n));
  EXPECT_NEAR(m.variance, 1.0 / 12.0, 5.0 * std::sqrt((1.0 / 80.0 - 1.0 / 144.0) / n));
}

TEST(Normal, MomentsOfAMillionDrawsMatchTheStandardNormal) {
  const philox_key key = make_key(test_seed);
  std::vector<double> sample;
  sample.reserve(1000000);
  for (std::uint32_t i = 0; i < 1000; ++i) {
    for (std::uint32_t n = 0; n < 1000; ++n)
      sample.push_back(normal_number(key, account_counter(i, stream_entry_price, 0), n));
  }
  for (double z : sample) ASSERT_TRUE(std::isfinite(z)) << z;
  const SampleMoments m = moments(sample);
  const double n = static_cast<double>(sample.size());
  // mean: standard error 1/sqrt(n); sample variance: (mu4 - 1) / n = 2 / n.
  EXPECT_NEAR(m.mean, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(m.variance, 1.0, 5.0 * std::sqrt(2.0 / n));
}

TEST(Normal, NumberNUsesBlockNOverTwoAndAlternatesBetweenThePair) {
  const philox_key key = make_key(test_seed);
  const philox_counter counter = scenario_counter(4, 5, stream_diffusion, 0);
  for (std::uint32_t n = 0; n < 6; ++n) {
    philox_counter block_counter = counter;
    block_counter[3] = n / 2;
    const philox_block block = draw_block(key, block_counter);
    const normal_pair pair = box_muller(first_uniform(block), second_uniform(block));
    EXPECT_EQ(normal_number(key, counter, n), n % 2 == 0 ? pair.z0 : pair.z1) << "n = " << n;
  }
}

TEST(Normal, BoxMullerFollowsItsFormula) {
  const double u1 = 0.3;
  const double u2 = 0.8;
  const double r = std::sqrt(-2.0 * std::log(u1));
  const normal_pair pair = box_muller(u1, u2);
  EXPECT_DOUBLE_EQ(pair.z0, r * std::cos(6.283185307179586 * u2));
  EXPECT_DOUBLE_EQ(pair.z1, r * std::sin(6.283185307179586 * u2));
}

TEST(Poisson, InverseCdfSteps) {
  // mean 2: P(0) = e^-2 = 0.1353, P(<=1) = 0.4060, P(<=2) = 0.6767.
  EXPECT_EQ(poisson_inverse_cdf(2.0, 0.1), 0);
  EXPECT_EQ(poisson_inverse_cdf(2.0, 0.2), 1);
  EXPECT_EQ(poisson_inverse_cdf(2.0, 0.5), 2);
  EXPECT_EQ(poisson_inverse_cdf(0.0, 1.0 - 0x1p-53), 0);
  EXPECT_LE(poisson_inverse_cdf(50.0, 1.0 - 0x1p-53), poisson_max_count);
}

void expect_poisson_moments(double mean, std::uint64_t seed) {
  const philox_key key = make_key(seed);
  std::vector<double> sample;
  const std::uint32_t draws = 1000000;
  sample.reserve(draws);
  for (std::uint32_t i = 0; i < draws; ++i) {
    const double u = first_uniform(draw_block(key, scenario_counter(i, 1, stream_jump_count, 0)));
    sample.push_back(static_cast<double>(poisson_inverse_cdf(mean, u)));
  }
  const SampleMoments m = moments(sample);
  const double n = static_cast<double>(draws);
  // Poisson: variance = mean; Var(sample variance) = (mu4 - sigma^4) / n = (mean + 2 mean^2) / n.
  EXPECT_NEAR(m.mean, mean, 5.0 * std::sqrt(mean / n)) << "mean " << mean;
  EXPECT_NEAR(m.variance, mean, 5.0 * std::sqrt((mean + 2.0 * mean * mean) / n)) << "mean " << mean;
}

TEST(Poisson, MeanAndVarianceForMeanPointThree) { expect_poisson_moments(0.3, 7); }

TEST(Poisson, MeanAndVarianceForMeanFive) { expect_poisson_moments(5.0, 8); }

TEST(InverseCdf, PicksTheFirstRunningSumAboveU) {
  const std::vector<double> cumulative = {0.2, 0.5, 1.0};
  EXPECT_EQ(inverse_cdf_index(cumulative.data(), 3, 0.1), 0u);
  EXPECT_EQ(inverse_cdf_index(cumulative.data(), 3, 0.2), 1u);
  EXPECT_EQ(inverse_cdf_index(cumulative.data(), 3, 0.99), 2u);
}

TEST(InverseCdf, RoundingNeverSelectsAnOutcomeOfProbabilityZero) {
  // Running sums that stop short of u through rounding; the last outcome has probability 0.
  const std::vector<double> cumulative = {0.3, 0.9999999999999998, 0.9999999999999998};
  EXPECT_EQ(inverse_cdf_index(cumulative.data(), 3, 0.9999999999999999), 1u);
  const std::vector<double> first_only = {1.0 - 0x1p-52, 1.0 - 0x1p-52};
  EXPECT_EQ(inverse_cdf_index(first_only.data(), 2, 1.0 - 0x1p-53), 0u);
}

}  // namespace
}  // namespace margin_stress::rng
