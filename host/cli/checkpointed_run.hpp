// A run's scenarios computed batch by batch, each batch recorded in the run's checkpoint as it
// finishes (host/io/checkpoint.hpp): the batches a checkpoint already holds are read back, not
// recomputed, and a stop asked by a signal takes effect between batches.
#pragma once

#include <cstdint>

#include "host/engine/engine.hpp"
#include "host/io/checkpoint.hpp"
#include "host/model/config.hpp"
#include "host/model/results.hpp"

namespace margin_stress {

// The scenarios of a checkpoint batch when the user does not choose: about 1/32 of the run, so
// that a resume recomputes little, and at least 4 times what the backend runs at once, so that
// every worker stays busy to the batch's end and a device's tiles stay full.
std::int64_t default_batch_scenarios(std::int64_t scenarios, std::int64_t scenarios_in_parallel);

struct CheckpointedRunTimes {
  double scenario_seconds = 0.0;  // building scenario paths
  double engine_seconds = 0.0;    // the engine, and recording batches
};

// The run's scenarios (the checkpoint's: all of `config`'s, or the range `run --scenario` chose), in
// the checkpoint's batches, over `book` (loaded for `config`).
// Throws RunStopped (host/cli/stop_signals.hpp) after the batch during which SIGINT, SIGTERM or
// SIGHUP arrived.
BatchResults run_checkpointed(LoadedBook& book, const ModelConfig& config, Checkpoint& checkpoint, bool quiet,
                              CheckpointedRunTimes& times);

}  // namespace margin_stress
