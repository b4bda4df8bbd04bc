#include "host/analysis/frontier.hpp"

#include <algorithm>

#include "host/model/input_error.hpp"

namespace margin_stress {

MarginKnob margin_knob_from_name(const std::string& name) {
  if (name == "margin_multiplier") return MarginKnob::margin_multiplier;
  if (name == "scale_floor") return MarginKnob::scale_floor;
  if (name == "buffer") return MarginKnob::buffer;
  if (name == "stressed_weight") return MarginKnob::stressed_weight;
  throw InputError("--knob: \"" + name + "\" is not one of margin_multiplier, scale_floor, buffer, stressed_weight");
}

const char* margin_knob_name(MarginKnob knob) {
  switch (knob) {
    case MarginKnob::margin_multiplier:
      return "margin_multiplier";
    case MarginKnob::scale_floor:
      return "scale_floor";
    case MarginKnob::buffer:
      return "buffer";
    case MarginKnob::stressed_weight:
      return "stressed_weight";
  }
  return "?";
}

ModelConfig with_knob(const ModelConfig& policy, MarginKnob knob, double value) {
  ModelConfig config = policy;
  MarginPolicyParams& margin = config.margin_policy;
  switch (knob) {
    case MarginKnob::margin_multiplier:
      for (MarketSpec& market : config.markets) {
        if (!market.margin_tiers.empty()) {
          throw InputError(policy.source_name + ": markets." + market.name +
                           " has notional brackets, which margin_multiplier does not scale; use --knob scale_floor");
        }
        market.initial_margin_fraction = std::min(1.0, value * market.initial_margin_fraction);
        market.maintenance_margin_fraction =
            std::min(market.initial_margin_fraction, value * market.maintenance_margin_fraction);
        // A size premium's factor too, so that its requirement, max(r, 0.8 r + f sqrt(B)), scales by k.
        market.size_premium_imf_factor *= value;
      }
      break;
    case MarginKnob::scale_floor:
      margin.scale_floor = value;
      margin.scale_cap = std::max(margin.scale_cap, value);
      break;
    case MarginKnob::buffer:
      margin.buffer = value;
      break;
    case MarginKnob::stressed_weight:
      margin.stressed_weight = value;
      break;
  }
  return config;
}

LossFigures loss_figures(const DistributionSummary& summary) {
  return {summary.mean,   summary.standard_error, summary.var_99, summary.var_99_interval,
          summary.es_999, summary.es_999_interval};
}

bool TailTarget::met_by(const FrontierPoint& point) const {
  if (point.fund_exhaustion_probability > max_fund_exhaustion_probability) return false;
  if (max_bad_debt_es_999_usd && point.bad_debt.es_999_usd > *max_bad_debt_es_999_usd) return false;
  if (max_bad_debt_var_99_usd && point.bad_debt.var_99_usd > *max_bad_debt_var_99_usd) return false;
  if (max_platform_loss_es_999_usd && point.platform_loss.es_999_usd > *max_platform_loss_es_999_usd) return false;
  if (max_platform_loss_var_99_usd && point.platform_loss.var_99_usd > *max_platform_loss_var_99_usd) return false;
  return true;
}

SearchOutcome search_least_margin(const SearchSettings& settings, const TailTarget& target,
                                  const std::function<FrontierPoint(double)>& evaluate) {
  SearchOutcome outcome;
  const BracketOutcome bracket = least_value_holding(settings, [&](double knob) {
    FrontierPoint point = evaluate(knob);
    point.knob = knob;
    point.meets_target = target.met_by(point);
    outcome.frontier.push_back(point);
    return point.meets_target;
  });
  std::sort(outcome.frontier.begin(), outcome.frontier.end(),
            [](const FrontierPoint& a, const FrontierPoint& b) { return a.knob < b.knob; });
  for (const FrontierPoint& point : outcome.frontier) {
    if (bracket.least_holding && point.knob == *bracket.least_holding) outcome.answer = point;
    if (bracket.just_below && point.knob == *bracket.just_below) outcome.just_below = point;
  }
  return outcome;
}

}  // namespace margin_stress
