// A margin policy in one line for a command's table and its summary JSON (compare, backtest): the
// kind, the estimator, the index when it observes the index, and every tool that is switched on.
#pragma once

#include <string>

#include "host/model/config.hpp"

namespace margin_stress {

std::string describe_policy(const MarginPolicyParams& policy);

}  // namespace margin_stress
