#include "host/analysis/cover_n.hpp"

#include <algorithm>
#include <functional>

namespace margin_stress {

ScenarioCover scenario_cover(const ScenarioAccounts& accounts, micro_usd fund) {
  std::vector<micro_usd> deficits;
  for (const AccountOutcome& account : accounts.accounts) {
    if (account.deficit > 0) deficits.push_back(account.deficit);
  }
  std::sort(deficits.begin(), deficits.end(), std::greater<>());
  ScenarioCover cover;
  cover.scenario = accounts.scenario;
  micro_usd defaulted = 0;
  for (std::size_t k = 0; k < deficits.size(); ++k) {
    defaulted += deficits[k];
    if (k == 0) cover.largest_deficit = defaulted;
    if (k == 1) cover.two_largest_deficits = defaulted;
    if (cover.defaults_to_exhaust == 0 && defaulted > fund)
      cover.defaults_to_exhaust = static_cast<std::int64_t>(k) + 1;
  }
  if (deficits.size() == 1) cover.two_largest_deficits = cover.largest_deficit;
  cover.cover_1 = cover.largest_deficit <= fund;
  cover.cover_2 = cover.two_largest_deficits <= fund;
  return cover;
}

CoverSummary summarize_cover(const std::vector<ScenarioCover>& covers) {
  CoverSummary summary;
  summary.scenarios = static_cast<std::int64_t>(covers.size());
  for (const ScenarioCover& cover : covers) {
    summary.cover_1_held += cover.cover_1 ? 1 : 0;
    summary.cover_2_held += cover.cover_2 ? 1 : 0;
    if (cover.defaults_to_exhaust > 0) {
      ++summary.exhausted_by_defaults;
      if (summary.fewest_defaults_to_exhaust == 0 || cover.defaults_to_exhaust < summary.fewest_defaults_to_exhaust) {
        summary.fewest_defaults_to_exhaust = cover.defaults_to_exhaust;
      }
    }
  }
  return summary;
}

}  // namespace margin_stress
