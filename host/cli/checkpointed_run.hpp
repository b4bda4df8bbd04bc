// A run's scenarios computed batch by batch, each batch recorded in the run's checkpoint as it
// finishes (host/io/checkpoint.hpp): the batches a checkpoint already holds are read back, not
// recomputed, and a stop asked by a signal takes effect between batches.
#pragma once

#include <cstdint>

#include "host/cli/stop_signals.hpp"
#include "host/engine/engine.hpp"
#include "host/io/checkpoint.hpp"
#include "host/io/results_file.hpp"
#include "host/model/config.hpp"
#include "host/model/results.hpp"

namespace margin_stress {

// The scenarios of a checkpoint batch when the user does not choose: about 1/32 of the run, so
// that a resume recomputes little, and at least 4 times what the backend runs at once, so that
// every worker stays busy to the batch's end and a device's tiles stay full.
// Over N ranks (docs/cluster.md), 1/(4N) of the run, so that the batches handed out last, to
// whichever rank is free, even out ranks that drew costlier scenarios; raised towards what one
// backend runs at once only as far as 2 batches per rank.
std::int64_t default_batch_scenarios(std::int64_t scenarios, std::int64_t scenarios_in_parallel, int ranks = 1);

struct CheckpointedRunTimes {
  double scenario_seconds = 0.0;  // building scenario paths
  double engine_seconds = 0.0;    // the engine, and recording batches
};

// The run's scenarios (the checkpoint's: all of `config`'s, or the range `run --scenario` chose), in
// the checkpoint's batches, over `book` (loaded for `config`); `work` records what this process
// computed (batches read back from the checkpoint are not counted).
// Throws RunStopped (host/cli/stop_signals.hpp) after the batch during which SIGINT, SIGTERM or
// SIGHUP arrived.
BatchResults run_checkpointed(LoadedBook& book, const ModelConfig& config, Checkpoint& checkpoint, bool quiet,
                              CheckpointedRunTimes& times, RankRecord& work);

// The pieces a run over several ranks (host/cli/distributed_run.hpp) shares with run_checkpointed.

// Room for every scenario of the checkpoint's run.
BatchResults empty_run_results(const ModelConfig& config, const Checkpoint& checkpoint);
// Copies a batch's scenarios into their place in the whole run's results.
void place_batch(BatchResults& run, BatchResults&& batch);
// Builds the paths of scenarios [first, first + count) and runs them over `book`, adding the time
// taken to `times`.
BatchResults compute_batch(LoadedBook& book, const ModelConfig& config, std::int64_t first, std::int64_t count,
                           const ProgressCallback& progress, CheckpointedRunTimes& times);
// What a run that fails keeps: "3 of 32 batches are kept in ...: ... --resume continues the run";
// empty when the checkpoint holds no finished batch.
std::string kept_batches_note(const Checkpoint& checkpoint);
// The RunStopped of a run stopped by `signal_number` once `done` of its scenarios were recorded.
RunStopped run_stopped(int signal_number, const Checkpoint& checkpoint, std::int64_t done);

}  // namespace margin_stress
