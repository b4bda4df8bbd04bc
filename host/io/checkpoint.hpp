// A run's checkpoint: the batches of scenarios it has finished, kept beside its results file so
// that `run --resume` continues a run that was killed, crashed or stopped, recomputing only the
// batches that did not finish, with the same bits as an uninterrupted run (docs/results.md,
// "Checkpoints").
//
// The checkpoint of `<out>` is the directory `<out>.checkpoint`: `manifest.toml` says which run
// wrote it (program version, effective config, CRC-32 of every input file, batch size), each
// finished batch is a file `batch-<index>.bin` (host/io/batch_codec.hpp) written under a temporary
// name and renamed into place once flushed, and `lock` is held (flock) by the run writing it, so
// that two runs never write one checkpoint, nor one results file. It is removed once the results
// file is published.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/io/checksum.hpp"
#include "host/model/results.hpp"

namespace margin_stress {

// What makes two runs' results the same: a checkpoint is resumed only by the run that wrote it.
struct RunIdentity {
  std::string program;              // version and commit, e.g. "0.4.0 (3f2a1c9)"
  std::string config_text;          // the effective config (config_to_toml), run.threads left out
  std::int64_t first_scenario = 0;  // the run's scenarios are first_scenario .. first_scenario + scenarios - 1
  std::int64_t scenarios = 0;
  std::int64_t steps = 0;
  std::int64_t markets = 0;
  std::vector<InputFileIdentity> inputs;  // the portfolio file, replay price files
};

enum class CheckpointStart {
  fresh,    // refuse a checkpoint holding finished batches (the user did not say what to do with it)
  resume,   // continue a checkpoint of the same run; refuse one of another run, saying what differs
  discard,  // remove whatever checkpoint is there (--force) and start afresh
};

class Checkpoint {
 public:
  // Opens (creating it where needed) and locks the checkpoint of `results_path`. `batch_scenarios`
  // is the batch size of a new checkpoint; a resumed one keeps its own. InputError, naming the
  // directory, when another process holds the lock, when a checkpoint with finished batches is
  // there and `start` is fresh, or when a resumed one belongs to another run.
  Checkpoint(const std::string& results_path, const RunIdentity& identity, std::int64_t batch_scenarios,
             CheckpointStart start);
  // Releases the lock; removes the checkpoint if it holds no finished batch (nothing to resume).
  ~Checkpoint();
  Checkpoint(const Checkpoint&) = delete;
  Checkpoint& operator=(const Checkpoint&) = delete;

  const std::string& directory() const { return directory_; }
  std::int64_t batch_scenarios() const { return batch_scenarios_; }
  std::int64_t batch_count() const;
  std::int64_t scenarios() const { return identity_.scenarios; }  // in all batches
  std::int64_t first_scenario(std::int64_t batch) const { return identity_.first_scenario + batch * batch_scenarios_; }
  std::int64_t scenario_count(std::int64_t batch) const;
  bool finished(std::int64_t batch) const { return finished_[static_cast<std::size_t>(batch)]; }
  std::int64_t finished_batches() const;

  // A finished batch's results; std::runtime_error naming the file if it is damaged.
  BatchResults read(std::int64_t batch) const;
  // Records a finished batch, flushed to disk before it counts as finished.
  void write(std::int64_t batch, const BatchResults& results);
  // Removes the checkpoint (its results are published) and releases the lock.
  void remove();

 private:
  std::string batch_path(std::int64_t batch) const;

  std::string directory_;
  RunIdentity identity_;
  std::int64_t batch_scenarios_ = 1;
  std::vector<bool> finished_;
  int lock_descriptor_ = -1;
};

// The checkpoint directory of a results file: `<results_path>.checkpoint`.
std::string checkpoint_directory(const std::string& results_path);

}  // namespace margin_stress
