// The processes a run is spread over (docs/cluster.md). Launched by mpirun (or srun) in a build
// with MPI (CMake option MARGIN_STRESS_MPI), margin-stress starts MPI and is one rank of several;
// otherwise it is the only process. A build without MPI started by a launcher as one of several
// ranks refuses to run: each rank would compute the whole run alone and race for its output.
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <vector>

namespace margin_stress {

// Where this process stands among the run's processes.
struct RankPlace {
  int rank = 0;
  int ranks = 1;
  int local_rank = 0;                     // among the ranks on this host (it picks the GPU)
  int local_ranks = 1;                    // ranks on this host
  std::vector<std::string> hosts = {""};  // every rank's host name, by rank

  bool leads() const { return rank == 0; }
  const std::string& host() const { return hosts[static_cast<std::size_t>(rank)]; }
  // "rank 2 on host node07"
  std::string describe(int of_rank) const;
};

// How many ranks a launcher started, from the variables it sets in each process's environment
// (OMPI_COMM_WORLD_SIZE of Open MPI's mpirun, PMI_SIZE of MPICH's and Slurm's PMI,
// SLURM_STEP_NUM_TASKS of srun), and this process's rank among them; 0 ranks when none is set.
struct LaunchedRanks {
  int ranks = 0;
  int rank = 0;
};
LaunchedRanks launched_ranks(const std::function<const char*(const char*)>& environment);

// Owns MPI for the process's lifetime: starts it (MPI_Init_thread with MPI_THREAD_FUNNELED: only
// the main thread calls MPI; rank 0 computes on a second thread) when a launcher started this
// process, and ends it (MPI_Finalize) in finish() or the destructor. Without a launcher, or in a
// build without MPI, the world is this process alone. std::runtime_error (exit 2 in main) when a
// build without MPI was launched as several ranks.
class RankWorld {
 public:
  RankWorld(int& argc, char**& argv);
  ~RankWorld();
  RankWorld(const RankWorld&) = delete;
  RankWorld& operator=(const RankWorld&) = delete;

  const RankPlace& place() const { return place_; }
  // Ends MPI now (before a process ends by a signal, which skips destructors).
  void finish();

 private:
  RankPlace place_;
  bool started_mpi_ = false;
};

// The exit code of a failure that another rank reports (main prints nothing for it).
class FailedOnAnotherRank : public std::exception {
 public:
  explicit FailedOnAnotherRank(int exit_code) : exit_code_(exit_code) {}
  const char* what() const noexcept override { return "failed on another rank"; }
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// The exit code main gives a failure: 3 for bad input (InputError), 1 otherwise.
int exit_code_of(const std::exception_ptr& failure);

// Makes every rank agree on whether the setup of a run (reading inputs, loading the book,
// opening the checkpoint) succeeded everywhere, and on its inputs (`inputs_crc32`, a CRC-32 of
// everything that decides the results: a node that sees other files would compute other
// results). Returns when every rank succeeded with the same inputs. Otherwise exactly one rank
// reports, with the error main prints: rank 0's own failure if it failed, else the first failing
// rank's, naming its rank and host; every other rank throws FailedOnAnotherRank with the same exit
// code. With one rank, rethrows `failure` if there is one. Collective: every rank calls it once.
void agree_on_setup(const RankPlace& place, const std::exception_ptr& failure, unsigned inputs_crc32);

// Ends every rank of the run at once (MPI_Abort) with `exit_code`, after `message` is printed on
// stderr; for a failure during the computing phase, when the other ranks are waiting on this one.
[[noreturn]] void abort_all_ranks(const std::string& message, int exit_code);

}  // namespace margin_stress
