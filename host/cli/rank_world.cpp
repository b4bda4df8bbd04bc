#include "host/cli/rank_world.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "host/model/input_error.hpp"

#ifdef MARGIN_STRESS_HAVE_MPI
#include <mpi.h>
#endif

namespace margin_stress {
namespace {

// A whole positive number, or 0 when `text` is missing or anything else.
int positive_number(const char* text) {
  if (text == nullptr || *text == '\0') return 0;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  return *end == '\0' && value > 0 && value < (1L << 30) ? static_cast<int>(value) : 0;
}

std::string this_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}

#ifdef MARGIN_STRESS_HAVE_MPI
void start_mpi(int& argc, char**& argv, RankPlace& place) {
  int provided = MPI_THREAD_SINGLE;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    throw std::runtime_error("MPI_Init_thread failed: the MPI launcher could not start this rank");
  }
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    throw std::runtime_error(
        "this MPI library does not support MPI_THREAD_FUNNELED, which margin-stress needs (rank 0 computes "
        "on a second thread while its main thread coordinates)");
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &place.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &place.ranks);
  // The ranks that share this host's memory: their order picks each one's GPU.
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, place.rank, MPI_INFO_NULL, &local);
  MPI_Comm_rank(local, &place.local_rank);
  MPI_Comm_size(local, &place.local_ranks);
  MPI_Comm_free(&local);
  constexpr int host_bytes = 256;
  char own[host_bytes] = {};
  const std::string host = this_host();
  host.copy(own, host_bytes - 1);
  std::vector<char> all(static_cast<std::size_t>(place.ranks) * host_bytes);
  MPI_Allgather(own, host_bytes, MPI_CHAR, all.data(), host_bytes, MPI_CHAR, MPI_COMM_WORLD);
  place.hosts.clear();
  for (int rank = 0; rank < place.ranks; ++rank)
    place.hosts.emplace_back(&all[static_cast<std::size_t>(rank) * host_bytes]);
}
#endif

// `failure` rethrown with `prefix` before its message, keeping its kind (bad input or not).
[[noreturn]] void rethrow_with_prefix(const std::exception_ptr& failure, const std::string& prefix) {
  try {
    std::rethrow_exception(failure);
  } catch (const UsageError& error) {
    throw UsageError(prefix + error.what());
  } catch (const InputError& error) {
    throw InputError(prefix + error.what());
  } catch (const std::exception& error) {
    throw std::runtime_error(prefix + error.what());
  }
}

}  // namespace

std::string RankPlace::describe(int of_rank) const {
  return "rank " + std::to_string(of_rank) + " on host " + hosts[static_cast<std::size_t>(of_rank)];
}

LaunchedRanks launched_ranks(const std::function<const char*(const char*)>& environment) {
  static constexpr const char* size_and_rank[][2] = {{"OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"},
                                                     {"PMI_SIZE", "PMI_RANK"},
                                                     {"SLURM_STEP_NUM_TASKS", "SLURM_PROCID"}};
  for (const auto& names : size_and_rank) {
    if (const int ranks = positive_number(environment(names[0])); ranks > 0) {
      const char* rank = environment(names[1]);
      return {ranks, rank != nullptr && std::string(rank) != "0" ? positive_number(rank) : 0};
    }
  }
  return {};
}

RankWorld::RankWorld(int& argc, char**& argv) {
  place_.hosts = {this_host()};
  const LaunchedRanks launched = launched_ranks([](const char* name) { return std::getenv(name); });
#ifdef MARGIN_STRESS_HAVE_MPI
  if (launched.ranks > 0) {
    start_mpi(argc, argv, place_);
    started_mpi_ = true;
  }
#else
  (void)argc;
  (void)argv;
  if (launched.ranks > 1) {
    if (launched.rank != 0) throw FailedOnAnotherRank(2);
    throw std::runtime_error(
        "this margin-stress was built without MPI (CMake option MARGIN_STRESS_MPI off), but a launcher started it as " +
        std::to_string(launched.ranks) +
        " ranks: each would compute the whole run alone. Rebuild with MPI (Debian: libopenmpi-dev; docs/cluster.md) "
        "or start one process");
  }
#endif
}

RankWorld::~RankWorld() { finish(); }

void RankWorld::finish() {
#ifdef MARGIN_STRESS_HAVE_MPI
  if (started_mpi_) MPI_Finalize();
#endif
  started_mpi_ = false;
}

int exit_code_of(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const FailedOnAnotherRank& elsewhere) {
    return elsewhere.exit_code();
  } catch (const UsageError&) {
    return 2;
  } catch (const InputError&) {
    return 3;
  } catch (...) {
    return 1;
  }
}

void agree_on_setup(const RankPlace& place, const std::exception_ptr& failure, unsigned inputs_crc32) {
  if (place.ranks == 1) {
    if (failure) std::rethrow_exception(failure);
    return;
  }
#ifdef MARGIN_STRESS_HAVE_MPI
  int own_code = failure ? exit_code_of(failure) : 0;
  std::vector<int> codes(static_cast<std::size_t>(place.ranks));
  MPI_Allgather(&own_code, 1, MPI_INT, codes.data(), 1, MPI_INT, MPI_COMM_WORLD);
  std::vector<unsigned> crcs(static_cast<std::size_t>(place.ranks));
  MPI_Allgather(&inputs_crc32, 1, MPI_UNSIGNED, crcs.data(), 1, MPI_UNSIGNED, MPI_COMM_WORLD);
  int reporter = -1;
  for (int rank = 0; rank < place.ranks && reporter < 0; ++rank) {
    if (codes[static_cast<std::size_t>(rank)] != 0) reporter = rank;
  }
  if (reporter < 0) {
    for (int rank = 1; rank < place.ranks && reporter < 0; ++rank) {
      if (crcs[static_cast<std::size_t>(rank)] != crcs[0]) reporter = rank;
    }
    if (reporter < 0) return;
    if (place.rank != reporter) throw FailedOnAnotherRank(3);
    throw InputError(place.describe(reporter) + " reads other inputs than " + place.describe(0) +
                     " (the program, the effective config or an input file differs): every rank must see the same "
                     "files, or it would compute other results");
  }
  if (place.rank != reporter) throw FailedOnAnotherRank(codes[static_cast<std::size_t>(reporter)]);
  if (reporter == 0) std::rethrow_exception(failure);
  rethrow_with_prefix(failure, place.describe(reporter) + ": ");
#else
  (void)inputs_crc32;
  throw std::logic_error("a run over several ranks in a build without MPI");
#endif
}

void abort_all_ranks(const std::string& message, int exit_code) {
  std::fprintf(stderr, "margin-stress: %s\n", message.c_str());
  std::fflush(stderr);
#ifdef MARGIN_STRESS_HAVE_MPI
  int started = 0;
  MPI_Initialized(&started);
  if (started != 0) MPI_Abort(MPI_COMM_WORLD, exit_code);
#endif
  std::_Exit(exit_code);
}

}  // namespace margin_stress
