// How far two engines' results for the same batch are apart (docs/model.md, "The CUDA engine:
// verification"): per metric, the largest absolute and relative difference against its tolerance,
// and the liquidation decisions that differ. `margin-stress verify` prints it; the GPU tests
// assert it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/model/results.hpp"

namespace margin_stress {

struct MetricDifference {
  std::string metric;
  std::int64_t values = 0;        // values compared
  double max_absolute = 0.0;      // in the metric's unit (USD for money)
  double max_relative = 0.0;      // |a - b| / max(|a|, |b|), 0 where both are 0
  double allowed_absolute = 0.0;  // a value is within tolerance if its absolute or its relative
  double allowed_relative = 0.0;  // difference is within the allowance
  std::int64_t beyond = 0;        // values outside both allowances
};

struct BackendDifference {
  std::vector<MetricDifference> metrics;
  // Sum over scenarios and markets of |liquidations(a) - liquidations(b)|: a liquidation decision
  // taken by one engine and not the other changes a count, so this is a lower bound on the
  // differing decisions (the per-step liquidated notional series catches the rest).
  std::int64_t liquidation_decisions_differing = 0;
  std::int64_t liquidations = 0;  // the reference's position liquidations in all
  bool within_tolerance() const;
};

// `positions` is the book's size: the per-step initial margin of markets with brackets is added
// up per position in integer micro-dollars on the GPU, so it may differ by half a micro-dollar per
// position.
BackendDifference compare_backends(const BatchResults& reference, const BatchResults& candidate,
                                   std::int64_t positions);

}  // namespace margin_stress
