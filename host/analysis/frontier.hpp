// The least-margin search of `margin-stress optimize` (docs/compare.md, "The least-margin
// frontier"): a policy family is a policy with one knob that raises margins as it rises; a target
// bounds the platform's tail loss; the search finds the least knob value whose runs meet the
// target, on common random numbers, and keeps every point it evaluated: the frontier of margin
// level against tail loss.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "host/analysis/bracket_search.hpp"
#include "host/model/config.hpp"
#include "host/model/results.hpp"

namespace margin_stress {

// The knobs: each one raises (never lowers) every requirement as it rises.
enum class MarginKnob {
  margin_multiplier,  // every market's imf, mmf and size-premium factor times k (mmf capped at imf, imf at 1)
  scale_floor,        // margin_policy.scale_floor (and scale_cap raised to it if below)
  buffer,             // margin_policy.buffer
  stressed_weight,    // margin_policy.stressed_weight
};

// "margin_multiplier", "scale_floor", "buffer", "stressed_weight"; throws InputError otherwise.
MarginKnob margin_knob_from_name(const std::string& name);
const char* margin_knob_name(MarginKnob knob);

// The policy with the knob at `value`. margin_multiplier refuses a market with notional brackets
// (InputError: their requirement is a table, use scale_floor).
ModelConfig with_knob(const ModelConfig& policy, MarginKnob knob, double value);

// A per-scenario loss over the run's scenarios, each figure with its Monte Carlo uncertainty
// (docs/model.md, "Uncertainty of the figures").
struct LossFigures {
  double mean_usd = 0.0;
  double standard_error_usd = 0.0;  // of the mean
  double var_99_usd = 0.0;
  Interval var_99_interval;
  double es_999_usd = 0.0;
  Interval es_999_interval;
};

// The figures of a summarize_sample.
LossFigures loss_figures(const DistributionSummary& summary);

// What a run at one knob value gave, across scenarios (losses positive).
struct FrontierPoint {
  double knob = 0.0;
  double mean_required_margin_usd = 0.0;  // mean over scenarios of the mean over steps
  double peak_required_margin_usd = 0.0;  // mean over scenarios of the largest over steps
  double mean_allowed_leverage = 0.0;
  double fund_exhaustion_probability = 0.0;
  Interval fund_exhaustion_interval;  // Wilson's, 95 %
  LossFigures bad_debt;
  // The platform's loss: bad debt, fund draw, ADL haircuts and the backstop vault's loss.
  LossFigures platform_loss;
  bool meets_target = false;
};

// The target: every bound that is set must hold.
struct TailTarget {
  double max_fund_exhaustion_probability = 0.001;
  std::optional<double> max_bad_debt_es_999_usd;
  std::optional<double> max_bad_debt_var_99_usd;
  std::optional<double> max_platform_loss_es_999_usd;
  std::optional<double> max_platform_loss_var_99_usd;
  bool met_by(const FrontierPoint& point) const;
};

struct SearchOutcome {
  std::vector<FrontierPoint> frontier;  // every evaluated point, by increasing knob
  // The least knob found: feasible, with every evaluated point above it feasible too. Empty when
  // the highest grid point misses the target.
  std::optional<FrontierPoint> answer;
  // The evaluated point just below the answer, which misses the target (empty when the answer is
  // the low end of the range: the range does not bracket the least margin).
  std::optional<FrontierPoint> just_below;
};

// The search of least_value_holding with "meets the target" as the property. `evaluate` runs the family at a knob value
// (on the same scenarios every time) and fills the point but `meets_target`.
SearchOutcome search_least_margin(const SearchSettings& settings, const TailTarget& target,
                                  const std::function<FrontierPoint(double)>& evaluate);

}  // namespace margin_stress
