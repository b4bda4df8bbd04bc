// Cover-N (EMIR article 43, the PFMI's Cover-1 and Cover-2): in one scenario, whether the insurance
// fund covers the defaults of the N accounts with the largest deficits, and how many of the largest
// defaults exhaust it; then across scenarios (docs/reverse.md, "Cover-N").
#pragma once

#include <cstdint>
#include <vector>

#include "host/model/account_outcome.hpp"
#include "host/model/money.hpp"

namespace margin_stress {

struct ScenarioCover {
  std::int64_t scenario = 0;
  micro_usd largest_deficit = 0;         // the largest account's deficit X_a (section 8)
  micro_usd two_largest_deficits = 0;    // the two largest together
  bool cover_1 = false;                  // largest_deficit <= fund
  bool cover_2 = false;                  // two_largest_deficits <= fund
  std::int64_t defaults_to_exhaust = 0;  // the least k whose k largest deficits exceed the fund; 0: all do not
};

// The scenario's deficits against `fund` (micro-dollars: the fund's initial balance, the resource
// set aside before the stress), in exact integer sums.
ScenarioCover scenario_cover(const ScenarioAccounts& accounts, micro_usd fund);

struct CoverSummary {
  std::int64_t scenarios = 0;
  std::int64_t cover_1_held = 0;  // scenarios where Cover-1 held
  std::int64_t cover_2_held = 0;
  std::int64_t exhausted_by_defaults = 0;       // scenarios where some k largest defaults exceed the fund
  std::int64_t fewest_defaults_to_exhaust = 0;  // the least k over those scenarios; 0 when there are none
};

CoverSummary summarize_cover(const std::vector<ScenarioCover>& covers);

}  // namespace margin_stress
