// Deterministic, counter-based random numbers (docs/model.md, "Random numbers").
// Every draw is a pure function of (seed, counter): Philox4x32-10 from Random123, keyed by the
// 64-bit seed, with a four-word counter that names what the draw is for. Nothing here keeps
// state, so any scenario step or any account can be regenerated alone, in any order, on any
// number of threads, and give the same bits. No std:: distributions are used: their algorithms
// differ between standard libraries.
//
// Counter layout
//   scenario paths: {scenario index, step, stream, block}           key = run seed
//   portfolios:     {account low 32 bits, account high 32 bits, stream, block}  key = portfolio seed
// Scenario streams are 0..99 and portfolio streams 100 and up, so the two never share a counter
// even when the run seed equals the portfolio seed.
#pragma once

// The CUDA engine draws the margin-call decisions on the device (docs/model.md section 7a):
// Random123's functions are then host and device functions.
#if defined(__CUDACC__) && !defined(R123_CUDA_DEVICE)
#define R123_CUDA_DEVICE __host__ __device__
#endif
#include <Random123/philox.h>

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "host/model/host_device.hpp"

namespace margin_stress::rng {

using philox = r123::Philox4x32;
using philox_key = philox::key_type;
using philox_counter = philox::ctr_type;
using philox_block = philox::ctr_type;  // the four 32-bit words one call returns

// Streams of the regime-switching price process (docs/model.md, "Price process").
inline constexpr std::uint32_t stream_regime = 0;      // block 0, first uniform: the regime draw
inline constexpr std::uint32_t stream_diffusion = 1;   // normal m: eps_m of market m
inline constexpr std::uint32_t stream_jump_count = 2;  // block 0, first uniform: Poisson jump count
inline constexpr std::uint32_t stream_jump_size = 3;   // normal j*M+m: xi of jump j in market m
inline constexpr std::uint32_t stream_student_t = 4;   // blocks 2i, 2i+1: attempt i of the chi-square draw W

// Streams of the synthetic portfolio generator (docs/model.md, "Synthetic portfolios").
inline constexpr std::uint32_t stream_notional = 100;       // block 0, first uniform
inline constexpr std::uint32_t stream_market_count = 101;   // block 0: multi-market?, then 2 or 3
inline constexpr std::uint32_t stream_market_choice = 102;  // block j: market of position j, then its side
inline constexpr std::uint32_t stream_entry_price = 103;    // normal j: entry price of position j
inline constexpr std::uint32_t stream_leverage = 104;       // block 0: bracket, then place in bracket

// The traders' answer to margin calls (docs/model.md section 7a): scenario counter, block = account.
inline constexpr std::uint32_t stream_margin_call = 400;

// Largest global scenario index: the index is one 32-bit counter word.
inline constexpr std::int64_t max_scenario_index = std::int64_t{0xFFFFFFFF};

// Philox key {seed low 32 bits, seed high 32 bits}.
MARGIN_STRESS_HOST_DEVICE inline philox_key make_key(std::uint64_t seed) {
  philox_key key = {{static_cast<std::uint32_t>(seed & 0xFFFFFFFFu), static_cast<std::uint32_t>(seed >> 32)}};
  return key;
}

// Caller guarantees scenario <= max_scenario_index and step < 2^32.
MARGIN_STRESS_HOST_DEVICE inline philox_counter scenario_counter(std::int64_t scenario, std::int64_t step,
                                                                 std::uint32_t stream, std::uint32_t block) {
  philox_counter counter = {{static_cast<std::uint32_t>(scenario), static_cast<std::uint32_t>(step), stream, block}};
  return counter;
}

inline philox_counter account_counter(std::int64_t account, std::uint32_t stream, std::uint32_t block) {
  const auto index = static_cast<std::uint64_t>(account);
  philox_counter counter = {
      {static_cast<std::uint32_t>(index & 0xFFFFFFFFu), static_cast<std::uint32_t>(index >> 32), stream, block}};
  return counter;
}

MARGIN_STRESS_HOST_DEVICE inline philox_block draw_block(const philox_key& key, const philox_counter& counter) {
  return philox()(counter, key);
}

// u = ((hi >> 5) * 2^26 + (lo >> 6) + 0.5) * 2^-53 in double arithmetic: 53 random bits, centred
// in their cell so that 0 is impossible. The sum reaches 2^53 - 0.5 only for the topmost cell,
// which IEEE round-to-even turns into 2^53 (u = 1); min() keeps that one cell at 1 - 2^-53 so that
// u is strictly inside (0, 1) for every pair of words.
MARGIN_STRESS_HOST_DEVICE inline double uniform_from_words(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t cell = (static_cast<std::uint64_t>(hi >> 5) << 26) | static_cast<std::uint64_t>(lo >> 6);
  const double u = (static_cast<double>(cell) + 0.5) * 0x1p-53;
  return u < 1.0 ? u : 1.0 - 0x1p-53;
}

// The two uniforms of one block: u1 from words (0, 1), u2 from words (2, 3).
MARGIN_STRESS_HOST_DEVICE inline double first_uniform(const philox_block& block) {
  return uniform_from_words(block[0], block[1]);
}
inline double second_uniform(const philox_block& block) { return uniform_from_words(block[2], block[3]); }

struct normal_pair {
  double z0 = 0.0;
  double z1 = 0.0;
};

// Box-Muller: r = sqrt(-2 ln u1), z0 = r cos(2 pi u2), z1 = r sin(2 pi u2).
inline normal_pair box_muller(double u1, double u2) {
  constexpr double two_pi = 6.283185307179586476925286766559;
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double angle = two_pi * u2;
  return {r * std::cos(angle), r * std::sin(angle)};
}

inline normal_pair normals_from_block(const philox_block& block) {
  return box_muller(first_uniform(block), second_uniform(block));
}

// Normal number n of the stream named by `counter` (its block word is replaced): block n / 2,
// z0 for even n, z1 for odd n.
inline double normal_number(const philox_key& key, philox_counter counter, std::uint32_t n) {
  counter[3] = n / 2;
  const normal_pair pair = normals_from_block(draw_block(key, counter));
  return (n % 2 == 0) ? pair.z0 : pair.z1;
}

// Largest count poisson_inverse_cdf returns.
inline constexpr std::int64_t poisson_max_count = 10000;

// Poisson(mean) by inverse CDF from one uniform: the smallest k whose cumulative probability
// reaches u, searching upward from k = 0 with p_k = p_{k-1} * mean / k, stopping at
// poisson_max_count. The caller keeps mean <= 50 so that exp(-mean) does not underflow.
inline std::int64_t poisson_inverse_cdf(double mean, double u) {
  double probability = std::exp(-mean);
  double cumulative = probability;
  std::int64_t k = 0;
  while (cumulative < u && k < poisson_max_count) {
    ++k;
    probability *= mean / static_cast<double>(k);
    cumulative += probability;
  }
  return k;
}

// Attempts gamma_draw makes before it gives up and returns its fallback.
inline constexpr std::uint32_t gamma_max_attempts = 64;

// Gamma(shape, 1), shape > 0 and finite, by Marsaglia and Tsang's squeeze-and-reject method
// (ACM TOMS 26(3), 2000), from the stream named by `counter` (its block word is replaced), in this
// fixed order (docs/model.md, section 10.3). With a = shape for shape >= 1 and a = shape + 1
// otherwise, d = a - 1/3, c = 1 / sqrt(9 d), attempt i = 0, 1, ... uses
//   x = z0 of block 2i (Box-Muller of its two uniforms), v = (1 + c x)^3,
//   u = first uniform of block 2i + 1,
// and accepts g = d v when v > 0 and (u < 1 - 0.0331 x^4 or ln u < x^2 / 2 + d (1 - v + ln v)).
// The first accepted attempt wins; if none of gamma_max_attempts is accepted (probability below
// 0.05^64 for a >= 1), g = a, the mean. For shape < 1 the result is g * w^(1 / shape), w = the
// second uniform of block 1 (Gamma(a + 1) U^(1/a) is Gamma(a)).
inline double gamma_draw(const philox_key& key, philox_counter counter, double shape) {
  const double a = shape < 1.0 ? shape + 1.0 : shape;
  const double d = a - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  double g = a;
  for (std::uint32_t attempt = 0; attempt < gamma_max_attempts; ++attempt) {
    counter[3] = 2 * attempt;
    const double x = normals_from_block(draw_block(key, counter)).z0;
    const double root = 1.0 + c * x;
    if (!(root > 0.0)) continue;
    const double v = root * root * root;
    counter[3] = 2 * attempt + 1;
    const double u = first_uniform(draw_block(key, counter));
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * (x2 * x2) || std::log(u) < 0.5 * x2 + d * ((1.0 - v) + std::log(v))) {
      g = d * v;
      break;
    }
  }
  if (shape < 1.0) {
    counter[3] = 1;
    g *= std::pow(second_uniform(draw_block(key, counter)), 1.0 / shape);
  }
  return g;
}

// Chi-square with `dof` > 0 degrees of freedom: 2 * Gamma(dof / 2, 1), drawn as gamma_draw does.
inline double chi_square_draw(const philox_key& key, const philox_counter& counter, double dof) {
  return 2.0 * gamma_draw(key, counter, dof / 2.0);
}

// Inverse CDF over a discrete distribution given by its running sums (cumulative[k] = p_0 + ... +
// p_k, added in index order): the first index k with u < cumulative[k]. If rounding leaves u at or
// above every running sum, the last index with positive probability, so that an outcome of
// probability 0 is never drawn. count >= 1 and cumulative[count - 1] > 0.
inline std::size_t inverse_cdf_index(const double* cumulative, std::size_t count, double u) {
  std::size_t last_positive = 0;
  for (std::size_t k = 0; k < count; ++k) {
    if (u < cumulative[k]) return k;
    if (k == 0 ? cumulative[0] > 0.0 : cumulative[k] > cumulative[k - 1]) last_positive = k;
  }
  return last_positive;
}

}  // namespace margin_stress::rng
