#include "host/cli/distributed_run.hpp"

#include <stdexcept>

#ifdef MARGIN_STRESS_HAVE_MPI
#include <mpi.h>
#include <signal.h>

#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "host/cli/progress.hpp"
#include "host/cli/stop_signals.hpp"
#include "host/io/batch_codec.hpp"
#endif

namespace margin_stress {

#ifdef MARGIN_STRESS_HAVE_MPI
namespace {

// The messages of a distributed run, all bytes (MPI_BYTE) between ranks of one program build.
enum Tag : int {
  assignment_tag = 1,  // rank 0 -> rank: Assignment
  result_tag = 2,      // rank -> rank 0: ResultHeader, then the batch's bytes (none when batch < 0: "ready")
  failure_tag = 3,     // rank -> rank 0: the exit code (int32), then the error's text
  record_tag = 4,      // rank -> rank 0, after the last assignment: RecordMessage
  never_tag = 5,       // awaited by a failed rank until rank 0 ends the run
};

struct Assignment {
  std::int64_t batch = -1;  // -1: the run is done, stop
  std::int64_t first_scenario = 0;
  std::int64_t scenarios = 0;
};

struct ResultHeader {
  std::int64_t batch = -1;       // -1: no batch, the rank is ready for its first
  std::int32_t stop_signal = 0;  // a signal that asked this rank to stop, or 0
  std::int32_t unused = 0;
};

struct RecordMessage {
  std::int64_t batches = 0;
  std::int64_t scenarios = 0;
  double busy_seconds = 0.0;
  double wall_seconds = 0.0;
};

void send_bytes(const void* data, std::size_t bytes, int rank, Tag tag, const char* what) {
  if (bytes > static_cast<std::size_t>(INT_MAX)) {
    throw std::runtime_error(std::string(what) + " is " + std::to_string(bytes) +
                             " bytes, more than one MPI message carries (2 GiB): lower --batch-scenarios");
  }
  MPI_Send(data, static_cast<int>(bytes), MPI_BYTE, rank, tag, MPI_COMM_WORLD);
}

template <typename T>
T read_struct(const std::string& bytes) {
  T value;
  std::memcpy(&value, bytes.data(), std::min(bytes.size(), sizeof value));
  return value;
}

// MARGIN_STRESS_TEST_RANK_FAULT (test-only, docs/cluster.md): "R:error:N" or "R:kill:N".
struct InjectedFault {
  bool active = false;
  bool kill = false;
  std::int64_t after_batches = 0;

  static InjectedFault for_rank(int rank) {
    InjectedFault fault;
    const char* text = std::getenv("MARGIN_STRESS_TEST_RANK_FAULT");
    if (text == nullptr) return fault;
    const std::string spec(text);
    const std::size_t first = spec.find(':');
    const std::size_t second = spec.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) return fault;
    if (std::atoi(spec.substr(0, first).c_str()) != rank) return fault;
    fault.active = true;
    fault.kill = spec.substr(first + 1, second - first - 1) == "kill";
    fault.after_batches = std::atoll(spec.substr(second + 1).c_str());
    return fault;
  }

  void before_batch(std::int64_t batches_done) const {
    if (!active || batches_done < after_batches) return;
    if (kill) ::raise(SIGKILL);
    throw std::runtime_error("a fault injected by MARGIN_STRESS_TEST_RANK_FAULT (test only)");
  }
};

// Rank 0's computing thread: runs the batch it is given while the main thread coordinates.
class LocalWorker {
 public:
  LocalWorker(LoadedBook& book, const ModelConfig& config, CheckpointedRunTimes& times, RankRecord& work)
      : book_(book), config_(config), times_(times), work_(work), fault_(InjectedFault::for_rank(0)) {
    thread_ = std::thread([this] { work_loop(); });
  }
  ~LocalWorker() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      quit_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  LocalWorker(const LocalWorker&) = delete;
  LocalWorker& operator=(const LocalWorker&) = delete;

  // Neither running a batch nor holding one that was not taken.
  bool idle() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return !job_ && !result_ && !failure_;
  }
  void give(const Assignment& assignment) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      job_ = assignment;
    }
    wake_.notify_all();
  }
  // The batch it finished, if any; rethrows the error it failed with.
  std::optional<std::pair<std::int64_t, BatchResults>> take_finished() {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (failure_) std::rethrow_exception(failure_);
    std::optional<std::pair<std::int64_t, BatchResults>> finished = std::move(result_);
    result_.reset();
    return finished;
  }

 private:
  void work_loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return quit_ || (job_ && !result_ && !failure_); });
      if (quit_) return;
      const Assignment assignment = *job_;
      lock.unlock();
      std::optional<BatchResults> results;
      std::exception_ptr failure;
      try {
        fault_.before_batch(work_.batches);
        const auto start = std::chrono::steady_clock::now();
        results = compute_batch(
            book_, config_, assignment.first_scenario, assignment.scenarios, [](std::int64_t) {}, times_);
        work_.busy_seconds += seconds_since(start);
        work_.batches += 1;
        work_.scenarios += assignment.scenarios;
      } catch (...) {
        failure = std::current_exception();
      }
      lock.lock();
      job_.reset();
      if (failure) {
        failure_ = failure;
      } else {
        result_.emplace(assignment.batch, std::move(*results));
      }
    }
  }

  LoadedBook& book_;
  const ModelConfig& config_;
  CheckpointedRunTimes& times_;
  RankRecord& work_;  // written by the thread, read once it is joined
  const InjectedFault fault_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<Assignment> job_;
  std::optional<std::pair<std::int64_t, BatchResults>> result_;
  std::exception_ptr failure_;
  bool quit_ = false;
  std::thread thread_;  // last: it starts once everything it uses is made
};

std::string failure_text(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& error) {
    return error.what();
  } catch (...) {
    return "an unknown error";
  }
}

// Prints the failure of `rank` and what the checkpoint keeps, and ends every rank.
[[noreturn]] void end_run_after_failure(const RankPlace& place, int rank, const std::string& cause,
                                        const Checkpoint& checkpoint, int exit_code) {
  std::string message = "error: " + place.describe(rank) + " failed: " + cause;
  if (const std::string note = kept_batches_note(checkpoint); !note.empty()) {
    message += "\nmargin-stress: " + note + " (with any number of ranks)";
  }
  abort_all_ranks(message, exit_code);
}

}  // namespace

BatchResults lead_distributed_run(LoadedBook& book, const ModelConfig& config, Checkpoint& checkpoint, bool quiet,
                                  const RankPlace& place, CheckpointedRunTimes& times, std::vector<RankRecord>& ranks) {
  const auto start = std::chrono::steady_clock::now();
  BatchResults run = empty_run_results(config, checkpoint);
  std::deque<std::int64_t> pending;
  std::int64_t done = 0;
  for (std::int64_t batch = 0; batch < checkpoint.batch_count(); ++batch) {
    if (checkpoint.finished(batch)) {
      place_batch(run, checkpoint.read(batch));
      done += checkpoint.scenario_count(batch);
    } else {
      pending.push_back(batch);
    }
  }
  ranks.assign(static_cast<std::size_t>(place.ranks), RankRecord{});
  for (int rank = 0; rank < place.ranks; ++rank) ranks[static_cast<std::size_t>(rank)].host = place.hosts[rank];

  const StopOnSignal stop;
  ProgressBar progress("scenarios", checkpoint.scenarios(), quiet);
  progress.update(done);
  int stop_signal = 0;
  const auto next_assignment = [&]() -> Assignment {
    if (stop_signal != 0 || pending.empty()) return {};
    const std::int64_t batch = pending.front();
    pending.pop_front();
    return {batch, checkpoint.first_scenario(batch), checkpoint.scenario_count(batch)};
  };
  const auto record = [&](std::int64_t batch, BatchResults&& results) {
    checkpoint.write(batch, results);
    place_batch(run, std::move(results));
    done += checkpoint.scenario_count(batch);
    progress.update(done);
  };

  int released = 0;  // ranks told that the run is done
  int failed_rank = 0;
  // Declared outside the try: a failure ends every rank at once, without waiting for rank 0's batch.
  std::optional<LocalWorker> local;
  try {
    local.emplace(book, config, times, ranks[0]);
    bool local_working = false;
    while (true) {
      if (stop_signal == 0) stop_signal = stop.requested();
      bool progressed = false;
      if (auto finished = local->take_finished()) {
        record(finished->first, std::move(finished->second));
        local_working = false;
        progressed = true;
      }
      if (!local_working) {
        if (const Assignment assignment = next_assignment(); assignment.batch >= 0) {
          local->give(assignment);
          local_working = true;
        }
      }
      // Failures first; each tag probed alone, so that a message of one kind never hides another.
      for (const Tag tag : {failure_tag, result_tag}) {
        int arrived = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, tag, MPI_COMM_WORLD, &arrived, &status);
        if (arrived == 0) continue;
        progressed = true;
        int bytes = 0;
        MPI_Get_count(&status, MPI_BYTE, &bytes);
        std::string message(static_cast<std::size_t>(bytes), '\0');
        const int rank = status.MPI_SOURCE;
        MPI_Recv(message.data(), bytes, MPI_BYTE, rank, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (tag == failure_tag) {
          const auto exit_code = read_struct<std::int32_t>(message);
          end_run_after_failure(place, rank, message.substr(sizeof exit_code), checkpoint, exit_code);
        }
        const auto header = read_struct<ResultHeader>(message);
        if (stop_signal == 0) stop_signal = header.stop_signal;
        if (header.batch >= 0) {
          failed_rank = rank;  // a batch that does not decode is that rank's failure
          const BatchShape shape{checkpoint.first_scenario(header.batch), checkpoint.scenario_count(header.batch),
                                 config.run.steps, static_cast<std::int64_t>(config.market_count())};
          record(header.batch, decode_batch(message.substr(sizeof header), shape,
                                            "batch " + std::to_string(header.batch) + " from " + place.describe(rank)));
          failed_rank = 0;
        }
        const Assignment assignment = next_assignment();
        MPI_Send(&assignment, sizeof assignment, MPI_BYTE, rank, assignment_tag, MPI_COMM_WORLD);
        released += assignment.batch >= 0 ? 0 : 1;
      }
      if (released == place.ranks - 1 && !local_working) break;
      if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  } catch (...) {
    const std::exception_ptr failure = std::current_exception();
    end_run_after_failure(place, failed_rank, failure_text(failure), checkpoint, exit_code_of(failure));
  }
  local.reset();  // joins its thread: ranks[0] is complete
  for (int rank = 1; rank < place.ranks; ++rank) {
    RecordMessage message;
    MPI_Recv(&message, sizeof message, MPI_BYTE, rank, record_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    RankRecord& record_of_rank = ranks[static_cast<std::size_t>(rank)];
    record_of_rank.batches = message.batches;
    record_of_rank.scenarios = message.scenarios;
    record_of_rank.busy_seconds = message.busy_seconds;
    record_of_rank.wall_seconds = message.wall_seconds;
  }
  ranks[0].wall_seconds = seconds_since(start);
  if (done < checkpoint.scenarios()) {
    progress.finish();
    throw run_stopped(stop_signal, checkpoint, done);
  }
  return run;
}

void serve_distributed_run(LoadedBook& book, const ModelConfig& config, const RankPlace& place) {
  const auto start = std::chrono::steady_clock::now();
  const InjectedFault fault = InjectedFault::for_rank(place.rank);
  const StopOnSignal stop;
  RecordMessage own;
  CheckpointedRunTimes times;
  try {
    ResultHeader ready;
    ready.stop_signal = stop.requested();
    MPI_Send(&ready, sizeof ready, MPI_BYTE, 0, result_tag, MPI_COMM_WORLD);
    while (true) {
      Assignment assignment;
      MPI_Recv(&assignment, sizeof assignment, MPI_BYTE, 0, assignment_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (assignment.batch < 0) break;
      fault.before_batch(own.batches);
      const auto batch_start = std::chrono::steady_clock::now();
      const BatchResults results = compute_batch(
          book, config, assignment.first_scenario, assignment.scenarios, [](std::int64_t) {}, times);
      ResultHeader header;
      header.batch = assignment.batch;
      header.stop_signal = stop.requested();
      std::string message(reinterpret_cast<const char*>(&header), sizeof header);
      message += encode_batch(results);
      own.busy_seconds += seconds_since(batch_start);
      own.batches += 1;
      own.scenarios += assignment.scenarios;
      send_bytes(message.data(), message.size(), 0, result_tag,
                 ("batch " + std::to_string(assignment.batch) + "'s results").c_str());
    }
  } catch (...) {
    // Rank 0 reports it, with what the checkpoint keeps, and ends every rank.
    const std::exception_ptr failure = std::current_exception();
    const std::int32_t exit_code = exit_code_of(failure);
    std::string message(reinterpret_cast<const char*>(&exit_code), sizeof exit_code);
    message += failure_text(failure);
    MPI_Send(message.data(), static_cast<int>(message.size()), MPI_BYTE, 0, failure_tag, MPI_COMM_WORLD);
    char never = 0;
    MPI_Recv(&never, 1, MPI_BYTE, 0, never_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
  own.wall_seconds = seconds_since(start);
  MPI_Send(&own, sizeof own, MPI_BYTE, 0, record_tag, MPI_COMM_WORLD);
}

#else

BatchResults lead_distributed_run(LoadedBook&, const ModelConfig&, Checkpoint&, bool, const RankPlace&,
                                  CheckpointedRunTimes&, std::vector<RankRecord>&) {
  throw std::logic_error("a run over several ranks in a build without MPI");
}

void serve_distributed_run(LoadedBook&, const ModelConfig&, const RankPlace&) {
  throw std::logic_error("a run over several ranks in a build without MPI");
}

#endif

}  // namespace margin_stress
