#include "host/cli/checkpointed_run.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <utility>

#include "host/cli/progress.hpp"
#include "host/cli/stop_signals.hpp"
#include "scenarios/scenario_builder.hpp"

namespace margin_stress {
std::int64_t default_batch_scenarios(std::int64_t scenarios, std::int64_t scenarios_in_parallel, int ranks) {
  const auto share = [&](std::int64_t batches) { return (scenarios + batches - 1) / batches; };
  const std::int64_t batch =
      ranks == 1
          ? std::max(share(32), 4 * scenarios_in_parallel)
          // Balance first: a device short of scenarios in flight is slower, an idle rank does nothing.
          : std::max(share(4 * std::int64_t{ranks}), std::min(scenarios_in_parallel, share(2 * std::int64_t{ranks})));
  return std::clamp<std::int64_t>(batch, 1, std::max<std::int64_t>(scenarios, 1));
}

BatchResults empty_run_results(const ModelConfig& config, const Checkpoint& checkpoint) {
  BatchResults run;
  run.first_scenario = checkpoint.first_scenario(0);
  run.scenarios.resize(static_cast<std::size_t>(checkpoint.scenarios()));
  run.series.resize(checkpoint.scenarios(), config.run.steps, static_cast<std::int64_t>(config.market_count()));
  return run;
}

void place_batch(BatchResults& run, BatchResults&& batch) {
  const std::int64_t offset = batch.first_scenario - run.first_scenario;
  std::move(batch.scenarios.begin(), batch.scenarios.end(),
            run.scenarios.begin() + static_cast<std::ptrdiff_t>(offset));
  run.series.place(batch.series, offset);
}

BatchResults compute_batch(LoadedBook& book, const ModelConfig& config, std::int64_t first, std::int64_t count,
                           const ProgressCallback& progress, CheckpointedRunTimes& times) {
  const auto scenario_start = std::chrono::steady_clock::now();
  const ScenarioPaths paths = build_scenarios(config, first, count);
  times.scenario_seconds += seconds_since(scenario_start);
  const auto engine_start = std::chrono::steady_clock::now();
  BatchResults results = book.run(paths, progress);
  times.engine_seconds += seconds_since(engine_start);
  return results;
}

std::string kept_batches_note(const Checkpoint& checkpoint) {
  if (checkpoint.finished_batches() == 0) return "";
  return std::to_string(checkpoint.finished_batches()) + " of " + std::to_string(checkpoint.batch_count()) +
         " batches are kept in " + checkpoint.directory() +
         ": once the cause is fixed, the same command with --resume continues the run";
}

RunStopped run_stopped(int signal_number, const Checkpoint& checkpoint, std::int64_t done) {
  return RunStopped(signal_number, std::string("stopped by SIG") + sigabbrev_np(signal_number) + " after " +
                                       std::to_string(checkpoint.finished_batches()) + " of " +
                                       std::to_string(checkpoint.batch_count()) + " batches (" + std::to_string(done) +
                                       " of " + std::to_string(checkpoint.scenarios()) +
                                       " scenarios); they are kept in " + checkpoint.directory() +
                                       ": run the same command with --resume to finish the run");
}

BatchResults run_checkpointed(LoadedBook& book, const ModelConfig& config, Checkpoint& checkpoint, bool quiet,
                              CheckpointedRunTimes& times, RankRecord& work) {
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t scenarios = checkpoint.scenarios();
  BatchResults run = empty_run_results(config, checkpoint);

  const StopOnSignal stop;
  ProgressBar progress("scenarios", scenarios, quiet);
  std::int64_t done = 0;
  for (std::int64_t batch = 0; batch < checkpoint.batch_count(); ++batch) {
    const std::int64_t first = checkpoint.first_scenario(batch);
    const std::int64_t count = checkpoint.scenario_count(batch);
    if (checkpoint.finished(batch)) {
      place_batch(run, checkpoint.read(batch));
    } else {
      try {
        const auto batch_start = std::chrono::steady_clock::now();
        BatchResults results = compute_batch(
            book, config, first, count, [&](std::int64_t finished) { progress.update(done + finished); }, times);
        work.busy_seconds += seconds_since(batch_start);
        const auto record_start = std::chrono::steady_clock::now();
        checkpoint.write(batch, results);
        times.engine_seconds += seconds_since(record_start);
        work.batches += 1;
        work.scenarios += count;
        place_batch(run, std::move(results));
      } catch (...) {
        // The error itself is reported by the caller; say what it did not destroy.
        if (const std::string note = kept_batches_note(checkpoint); !note.empty()) {
          progress.finish();
          std::fprintf(stderr, "margin-stress: %s\n", note.c_str());
        }
        throw;
      }
    }
    done += count;
    progress.update(done);
    if (const int signal_number = stop.requested(); signal_number != 0 && done < scenarios) {
      progress.finish();
      throw run_stopped(signal_number, checkpoint, done);
    }
  }
  work.wall_seconds = seconds_since(start);
  return run;
}

}  // namespace margin_stress
