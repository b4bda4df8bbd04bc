// The draw that decides a called trader's answer (docs/model.md sections 7a and 13): both engines
// take it from the same Philox stream, so that they give the same answers.
#pragma once

#include <cstdint>

#include "host/model/host_device.hpp"
#include "scenarios/rng.hpp"

namespace margin_stress {

// The uniform that decides account a's answer in step t of global scenario s: the first uniform
// of Philox block {s, t, stream_margin_call, a} keyed by run.seed. A top-up when u < p.
MARGIN_STRESS_HOST_DEVICE inline double margin_call_uniform(std::uint64_t seed, std::int64_t scenario,
                                                            std::int64_t step, std::int64_t account) {
  return rng::first_uniform(rng::draw_block(
      rng::make_key(seed),
      rng::scenario_counter(scenario, step, rng::stream_margin_call, static_cast<std::uint32_t>(account))));
}

}  // namespace margin_stress
