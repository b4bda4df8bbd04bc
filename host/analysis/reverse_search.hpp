// The reverse stress test of `margin-stress reverse` (docs/reverse.md): a committee shock with a
// severity parameter, a breaking condition on the platform's outcome, and the search for the
// least severity that breaks it, on common random numbers, with a check that the outcome rises
// with the severity over the searched range.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "host/analysis/bracket_search.hpp"
#include "host/analysis/frontier.hpp"
#include "host/model/config.hpp"

namespace margin_stress {

// What the severity varies.
enum class ShockSeverity {
  crash_depth,  // the fall of a crash shock, as a positive fraction: size = -depth (0.3: -30 %)
};

// "crash_depth"; throws InputError otherwise.
ShockSeverity shock_severity_from_name(const std::string& name);
const char* shock_severity_name(ShockSeverity severity);

// The base with the severity at `value`, on the shock named `shock_name` (empty: the base's only
// shock of the severity's kind). Throws InputError, naming the config, when the base has no such
// shock, or several and no name picks one.
ModelConfig with_severity(const ModelConfig& base, ShockSeverity severity, const std::string& shock_name, double value);

// The outcome a breaking condition watches.
enum class BreakingOutcome { fund_exhausted, bad_debt, platform_loss, adl_haircut };
// A statistic across scenarios of a loss.
enum class LossStatistic { mean, var_99, es_999 };

// "fund-exhausted", "bad-debt", "platform-loss", "adl"; "mean", "var_99", "es_999"; InputError otherwise.
BreakingOutcome breaking_outcome_from_name(const std::string& name);
const char* breaking_outcome_name(BreakingOutcome outcome);
LossStatistic loss_statistic_from_name(const std::string& name);
const char* loss_statistic_name(LossStatistic statistic);

// What one severity gave across the scenarios (losses positive, USD).
struct ReverseEvaluation {
  double severity = 0.0;
  double fund_exhaustion_probability = 0.0;
  Interval fund_exhaustion_interval;  // Wilson's, 95 %
  LossFigures bad_debt;
  LossFigures platform_loss;  // bad debt, fund draw, ADL haircuts, backstop vault loss
  LossFigures adl_haircut;
  double outcome = 0.0;  // the figure the condition watches (a probability, or USD)
  bool breaks = false;
  bool on_grid = false;  // evaluated on the coarse grid (else by the bisection)
};

// The platform breaks when the fund is exhausted with probability at least `threshold`, or when
// the statistic of the loss is above `threshold` USD.
struct BreakingCondition {
  BreakingOutcome outcome = BreakingOutcome::fund_exhausted;
  LossStatistic statistic = LossStatistic::mean;  // not used by fund_exhausted
  double threshold = 0.0;
  double watched(const ReverseEvaluation& evaluation) const;
  bool broken_by(const ReverseEvaluation& evaluation) const;
};

struct ReverseOutcome {
  std::vector<ReverseEvaluation> evaluations;       // every severity evaluated, increasing
  std::optional<ReverseEvaluation> least_breaking;  // empty: nothing in the range breaks
  std::optional<ReverseEvaluation> just_below;      // the evaluated severity below it that holds
  // The evaluations whose watched outcome is below that of the evaluation of next lower severity:
  // where a worse shock did less harm. Empty when the outcome rose (or stayed) throughout.
  std::vector<ReverseEvaluation> non_monotone;
};

// The search of least_value_holding with "breaks" as the property; `evaluate` runs the scenarios
// at a severity and fills every figure but outcome, breaks and on_grid.
ReverseOutcome search_least_breaking(const SearchSettings& settings, const BreakingCondition& condition,
                                     const std::function<ReverseEvaluation(double)>& evaluate);

}  // namespace margin_stress
