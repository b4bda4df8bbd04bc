#include "host/analysis/reverse_search.hpp"

#include <algorithm>

#include "host/model/input_error.hpp"

namespace margin_stress {

ShockSeverity shock_severity_from_name(const std::string& name) {
  if (name == "crash_depth") return ShockSeverity::crash_depth;
  throw InputError("--severity: \"" + name + "\" is not one of crash_depth");
}

const char* shock_severity_name(ShockSeverity severity) {
  switch (severity) {
    case ShockSeverity::crash_depth:
      return "crash_depth";
  }
  return "?";
}

ModelConfig with_severity(const ModelConfig& base, ShockSeverity severity, const std::string& shock_name,
                          double value) {
  const ShockKind kind = ShockKind::crash;  // the only family so far: crash_depth
  ModelConfig config = base;
  std::vector<ShockSpec*> candidates;
  for (ShockSpec& shock : config.scenario.shocks) {
    if (shock.kind == kind && (shock_name.empty() || shock.name == shock_name)) candidates.push_back(&shock);
  }
  const std::string what = shock_name.empty() ? "crash shock" : "crash shock named \"" + shock_name + "\"";
  if (candidates.empty()) {
    throw InputError(base.source_name + ": scenario.shocks has no " + what + " for --severity " +
                     shock_severity_name(severity) + " to vary");
  }
  if (candidates.size() > 1) {
    throw InputError(base.source_name + ": scenario.shocks has " + std::to_string(candidates.size()) + " " +
                     (shock_name.empty() ? "crash shocks" : "crash shocks named \"" + shock_name + "\"") +
                     "; name the one to vary with --shock (names must differ)");
  }
  candidates.front()->size = -value;
  return config;
}

BreakingOutcome breaking_outcome_from_name(const std::string& name) {
  if (name == "fund-exhausted") return BreakingOutcome::fund_exhausted;
  if (name == "bad-debt") return BreakingOutcome::bad_debt;
  if (name == "platform-loss") return BreakingOutcome::platform_loss;
  if (name == "adl") return BreakingOutcome::adl_haircut;
  throw InputError("--break: \"" + name + "\" is not one of fund-exhausted, bad-debt, platform-loss, adl");
}

const char* breaking_outcome_name(BreakingOutcome outcome) {
  switch (outcome) {
    case BreakingOutcome::fund_exhausted:
      return "fund-exhausted";
    case BreakingOutcome::bad_debt:
      return "bad-debt";
    case BreakingOutcome::platform_loss:
      return "platform-loss";
    case BreakingOutcome::adl_haircut:
      return "adl";
  }
  return "?";
}

LossStatistic loss_statistic_from_name(const std::string& name) {
  if (name == "mean") return LossStatistic::mean;
  if (name == "var_99") return LossStatistic::var_99;
  if (name == "es_999") return LossStatistic::es_999;
  throw InputError("--statistic: \"" + name + "\" is not one of mean, var_99, es_999");
}

const char* loss_statistic_name(LossStatistic statistic) {
  switch (statistic) {
    case LossStatistic::mean:
      return "mean";
    case LossStatistic::var_99:
      return "var_99";
    case LossStatistic::es_999:
      return "es_999";
  }
  return "?";
}

double BreakingCondition::watched(const ReverseEvaluation& evaluation) const {
  const LossFigures* loss = nullptr;
  switch (outcome) {
    case BreakingOutcome::fund_exhausted:
      return evaluation.fund_exhaustion_probability;
    case BreakingOutcome::bad_debt:
      loss = &evaluation.bad_debt;
      break;
    case BreakingOutcome::platform_loss:
      loss = &evaluation.platform_loss;
      break;
    case BreakingOutcome::adl_haircut:
      loss = &evaluation.adl_haircut;
      break;
  }
  switch (statistic) {
    case LossStatistic::mean:
      return loss->mean_usd;
    case LossStatistic::var_99:
      return loss->var_99_usd;
    case LossStatistic::es_999:
      return loss->es_999_usd;
  }
  return 0.0;
}

bool BreakingCondition::broken_by(const ReverseEvaluation& evaluation) const {
  // "At least p" for a probability (p = 1: in every scenario); "above X" for a loss, so that a
  // threshold of 0 asks for the first loss at all.
  const double value = watched(evaluation);
  return outcome == BreakingOutcome::fund_exhausted ? value >= threshold : value > threshold;
}

ReverseOutcome search_least_breaking(const SearchSettings& settings, const BreakingCondition& condition,
                                     const std::function<ReverseEvaluation(double)>& evaluate) {
  ReverseOutcome outcome;
  const BracketOutcome bracket = least_value_holding(settings, [&](double severity) {
    ReverseEvaluation evaluation = evaluate(severity);
    evaluation.severity = severity;
    evaluation.outcome = condition.watched(evaluation);
    evaluation.breaks = condition.broken_by(evaluation);
    evaluation.on_grid = outcome.evaluations.size() < static_cast<std::size_t>(settings.grid_points);  // grid first
    outcome.evaluations.push_back(evaluation);
    return evaluation.breaks;
  });
  std::sort(outcome.evaluations.begin(), outcome.evaluations.end(),
            [](const ReverseEvaluation& a, const ReverseEvaluation& b) { return a.severity < b.severity; });
  for (std::size_t i = 0; i < outcome.evaluations.size(); ++i) {
    const ReverseEvaluation& evaluation = outcome.evaluations[i];
    if (bracket.least_holding && evaluation.severity == *bracket.least_holding) outcome.least_breaking = evaluation;
    if (bracket.just_below && evaluation.severity == *bracket.just_below) outcome.just_below = evaluation;
    if (i > 0 && evaluation.outcome < outcome.evaluations[i - 1].outcome) outcome.non_monotone.push_back(evaluation);
  }
  return outcome;
}

}  // namespace margin_stress
