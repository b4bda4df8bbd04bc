#include "scenarios/shocks.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace margin_stress {
namespace {

// Markets a shock acts on, as a mask in config order (no names: every market).
std::vector<char> market_mask(const ModelConfig& config, const ShockSpec& shock) {
  std::vector<char> mask(config.market_count(), shock.markets.empty() ? 1 : 0);
  for (const std::string& name : shock.markets) {
    for (std::size_t m = 0; m < config.market_count(); ++m) {
      if (config.markets[m].name == name) mask[m] = 1;
    }
  }
  return mask;
}

// The move reached after `done` of `total` steps towards a bottom of 1 + size.
double partial_move(double size, ShockShape shape, std::int64_t done, std::int64_t total) {
  const double progress = static_cast<double>(done) / static_cast<double>(total);
  return shape == ShockShape::linear ? 1.0 + size * progress : std::pow(1.0 + size, progress);
}

bool is_price_shock(ShockKind kind) {
  return kind == ShockKind::gap || kind == ShockKind::crash || kind == ShockKind::v_shape;
}

}  // namespace

bool shock_is_active(const ShockSpec& shock, std::int64_t step) {
  return step >= shock.start_step && step < shock.start_step + shock.duration_steps;
}

double shock_price_factor(const ShockSpec& shock, std::int64_t step) {
  if (!is_price_shock(shock.kind) || step < shock.start_step) return 1.0;
  const std::int64_t down = step - shock.start_step + 1;  // steps of the fall done, 1 at start_step
  switch (shock.kind) {
    case ShockKind::gap:
      return 1.0 + shock.size;
    case ShockKind::crash:
      return down >= shock.duration_steps ? 1.0 + shock.size
                                          : partial_move(shock.size, shock.shape, down, shock.duration_steps);
    case ShockKind::v_shape: {
      if (down < shock.duration_steps) return partial_move(shock.size, shock.shape, down, shock.duration_steps);
      const std::int64_t up = down - shock.duration_steps;  // steps of the recovery done
      if (up >= shock.recovery_steps) return 1.0;
      // Back from the bottom along the same shape: linear in price, or in log price.
      const double progress = static_cast<double>(up) / static_cast<double>(shock.recovery_steps);
      return shock.shape == ShockShape::linear ? 1.0 + shock.size * (1.0 - progress)
                                               : std::pow(1.0 + shock.size, 1.0 - progress);
    }
    default:
      return 1.0;
  }
}

void apply_shocks(const ModelConfig& config, ScenarioPaths& paths) {
  const std::int64_t markets = paths.markets;
  for (const ShockSpec& shock : config.scenario.shocks) {
    if (!is_price_shock(shock.kind)) continue;
    const std::vector<char> mask = market_mask(config, shock);
    for (std::int64_t s = 0; s < paths.scenarios; ++s) {
      for (std::int64_t t = shock.start_step; t <= paths.steps; ++t) {
        const double factor = shock_price_factor(shock, t);
        for (std::int64_t m = 0; m < markets; ++m) {
          if (mask[static_cast<std::size_t>(m)]) paths.fundamental_price_usd[paths.price_index(s, t, m)] *= factor;
        }
      }
    }
  }
  for (const ShockSpec& shock : config.scenario.shocks) {
    if (is_price_shock(shock.kind)) continue;
    const std::vector<char> mask = market_mask(config, shock);
    const std::int64_t last = std::min(paths.steps, shock.start_step + shock.duration_steps - 1);
    for (std::int64_t s = 0; s < paths.scenarios; ++s) {
      for (std::int64_t t = shock.start_step; t <= last; ++t) {
        if (shock.kind == ShockKind::collateral_depeg) {
          paths.collateral_value[paths.regime_index(s, t)] *= shock.value;
          continue;
        }
        for (std::int64_t m = 0; m < markets; ++m) {
          if (!mask[static_cast<std::size_t>(m)]) continue;
          const std::size_t at = paths.price_index(s, t, m);
          switch (shock.kind) {
            case ShockKind::depth:
              paths.depth_multiplier[at] *= shock.multiplier;
              break;
            case ShockKind::oracle_deviation:
              paths.oracle_factor[at] *= 1.0 + shock.deviation;
              break;
            case ShockKind::oracle_stale:
              // The oracle keeps reporting the last price it saw before the window.
              // Set, not multiplied: overlapping stale windows must not compound.
              paths.oracle_factor[at] = paths.fundamental_price_usd[paths.price_index(s, shock.start_step - 1, m)] /
                                        paths.fundamental_price_usd[at];
              break;
            default:
              break;  // volatility and correlation act on the Monte Carlo noise
          }
        }
      }
    }
  }
}

}  // namespace margin_stress
