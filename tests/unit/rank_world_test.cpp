// Which launcher started this process as how many ranks, read from the environment it sets: a
// build without MPI refuses such a launch (host/cli/rank_world.hpp), and a build with MPI starts
// MPI only under a launcher.
#include "host/cli/rank_world.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace margin_stress {
namespace {

LaunchedRanks launched_with(const std::map<std::string, std::string>& variables) {
  return launched_ranks([&](const char* name) -> const char* {
    const auto found = variables.find(name);
    return found == variables.end() ? nullptr : found->second.c_str();
  });
}

TEST(LaunchedRanks, NoLauncherMeansNoRanks) {
  EXPECT_EQ(launched_with({}).ranks, 0);
  EXPECT_EQ(launched_with({{"HOME", "/root"}}).ranks, 0);
}

TEST(LaunchedRanks, ReadsOpenMpiMpichAndSlurm) {
  const LaunchedRanks open_mpi = launched_with({{"OMPI_COMM_WORLD_SIZE", "8"}, {"OMPI_COMM_WORLD_RANK", "3"}});
  EXPECT_EQ(open_mpi.ranks, 8);
  EXPECT_EQ(open_mpi.rank, 3);
  const LaunchedRanks mpich = launched_with({{"PMI_SIZE", "4"}, {"PMI_RANK", "0"}});
  EXPECT_EQ(mpich.ranks, 4);
  EXPECT_EQ(mpich.rank, 0);
  const LaunchedRanks slurm = launched_with({{"SLURM_STEP_NUM_TASKS", "64"}, {"SLURM_PROCID", "63"}});
  EXPECT_EQ(slurm.ranks, 64);
  EXPECT_EQ(slurm.rank, 63);
}

TEST(LaunchedRanks, IgnoresWhatIsNotACountOfRanks) {
  EXPECT_EQ(launched_with({{"OMPI_COMM_WORLD_SIZE", ""}}).ranks, 0);
  EXPECT_EQ(launched_with({{"OMPI_COMM_WORLD_SIZE", "two"}}).ranks, 0);
  EXPECT_EQ(launched_with({{"OMPI_COMM_WORLD_SIZE", "-2"}}).ranks, 0);
  EXPECT_EQ(launched_with({{"PMI_SIZE", "3x"}}).ranks, 0);
  // A launcher's one rank is still a launch (MPI starts, as one rank).
  EXPECT_EQ(launched_with({{"PMI_SIZE", "1"}}).ranks, 1);
}

TEST(RankPlace, DescribesARankByItsHost) {
  RankPlace place;
  place.ranks = 2;
  place.hosts = {"node01", "node02"};
  EXPECT_EQ(place.describe(1), "rank 1 on host node02");
}

}  // namespace
}  // namespace margin_stress
