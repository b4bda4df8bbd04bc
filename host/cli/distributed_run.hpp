// A run's scenarios computed over several MPI ranks (docs/cluster.md), with the same results bit
// for bit as one process: rank 0 coordinates on its main thread and computes on a second one; it
// hands the checkpoint's unfinished batches out one at a time to whichever rank is free (crash
// scenarios cost many times calm ones, so a fixed split would leave ranks idle), receives each
// finished batch as the bytes host/io/batch_codec.hpp makes, records it in the checkpoint and places
// it in the run's results exactly as run_checkpointed does. Only rank 0 touches the checkpoint and
// the results file.
//
// A rank that fails during the computation sends its error to rank 0, which prints it naming the
// rank, its host and the cause, says which batches the checkpoint keeps, and ends every rank
// (MPI_Abort): no results file is written, and `run --resume` continues with any number of ranks.
// A rank lost to a signal or a dead node is reported by the launcher (mpirun names the rank, host
// and signal), which ends the others.
//
// Test-only hook: MARGIN_STRESS_TEST_RANK_FAULT="R:error:N" makes rank R fail with an error when it
// is handed its (N+1)-th batch, "R:kill:N" makes it kill itself with SIGKILL instead.
#pragma once

#include <vector>

#include "host/cli/checkpointed_run.hpp"
#include "host/cli/rank_world.hpp"

namespace margin_stress {

// Rank 0's part: the whole run's results; `ranks` gets one record per rank, rank 0 first. Throws
// RunStopped after the batches in progress when SIGINT, SIGTERM or SIGHUP reached rank 0 or any
// other rank.
BatchResults lead_distributed_run(LoadedBook& book, const ModelConfig& config, Checkpoint& checkpoint, bool quiet,
                                  const RankPlace& place, CheckpointedRunTimes& times, std::vector<RankRecord>& ranks);

// Every other rank's part: computes the batches rank 0 hands it until rank 0 says the run is done.
void serve_distributed_run(LoadedBook& book, const ModelConfig& config, const RankPlace& place);

}  // namespace margin_stress
