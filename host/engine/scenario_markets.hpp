// The market-level dynamics of one scenario (docs/model.md sections 4 to 6): prices from the
// scenario path, decaying and accumulating impact, and the margin policy that sets each step's
// scale from the returns the platform has observed (of the mark, or of the index). This is O(markets) work per step and
// per cascade round, so both backends run it on the host: the CPU reference around its scans of the accounts, the CUDA
// engine around its kernels, which do the O(positions) work.
#pragma once

#include <cstdint>
#include <vector>

#include "host/engine/book.hpp"
#include "host/engine/margin_policy.hpp"
#include "host/engine/market_state.hpp"
#include "host/model/config.hpp"
#include "host/model/results.hpp"
#include "host/model/scenario_paths.hpp"

namespace margin_stress {

class ScenarioMarkets {
 public:
  ScenarioMarkets(const ModelConfig& config, const Book& book);

  // Step 0 of `scenario` (an index within `paths`): every market at its path's opening price,
  // without impact, at scale 1 with the policy's estimates at their starting values. Clears the
  // per-market metrics this object keeps in `metrics` (peak impact, largest scale).
  void start(const ScenarioPaths& paths, std::int64_t scenario, std::vector<MarketState>& markets,
             ScenarioMetrics& metrics);

  // The opening of step t (docs/model.md section 6, item 1): the path's new fundamental price and
  // oracle, decayed temporary impact, the policy's scale for the step (and the previous step's:
  // at step 1, the step's own, since the policy's first scale is not a raise), and the
  // open-interest-scaled imf from `long_lots` (the traders' long lots per market; read only where a
  // market has caps).
  void open_step(const ScenarioPaths& paths, std::int64_t scenario, std::int64_t t,
                 const std::vector<std::int64_t>& long_lots, std::vector<MarketState>& markets,
                 ScenarioMetrics& metrics);

  // One cascade round's impact: the net signed lots the round's liquidations traded per market
  // move that market's price (docs/model.md section 5), and its peak impact is updated.
  void apply_round_impact(const std::vector<std::int64_t>& flow_lots, std::vector<MarketState>& markets,
                          ScenarioMetrics& metrics) const;

  // The end of the step: the platform observes each market's log return over the step, of the mark
  // or of the index (margin_policy.observe), and updates its estimates (EWMA or GARCH variance, or
  // the regime filter).
  void close_step(const std::vector<MarketState>& markets);

  // The step's collateral value c(t) and per-market effective depth D_m d_m(t), set by open_step.
  double collateral_value() const { return collateral_value_; }
  double effective_depth_usd(std::size_t market) const { return effective_depth_usd_[market]; }
  // Whether open_step raised some market's scale: s_m(t) > s_m(t - 1). A margin call follows a
  // raise (docs/model.md section 7a).
  bool any_scale_rose() const { return any_scale_rose_; }

 private:
  const ModelConfig* config_;
  double decay_;
  std::vector<MarketState> opening_;  // step 0's markets, tiered pointers set, before the path
  std::vector<double> effective_depth_usd_;
  std::vector<double> previous_observed_price_;  // at the end of the previous step
  std::vector<double> observed_returns_;
  bool any_scale_rose_ = false;
  MarginPolicy policy_;
  double collateral_value_ = 1.0;
};

}  // namespace margin_stress
