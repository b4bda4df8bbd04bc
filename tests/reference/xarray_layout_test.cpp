// The results file as quants' tools read it: every group opens alone in xarray (Debian's
// python3-xarray with the h5netcdf engine) with dimensions named scenario, step, market, metric
// and statistic, and every dataset has the name, type, dimensions, units and long_name that
// docs/results.md gives it (tests/python/check_results_layout.py reads the document's tables).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "tests/reference/cli_runner.hpp"

namespace margin_stress {
namespace {

using testing::Outcome;
using testing::run_cli;

class XarrayLayout : public testing::ScratchDirectoryTest {};

// Runs the layout check on `results` (`options`: --drilldown to require /drilldown); its output,
// and whether it passed.
Outcome check_layout(const std::string& results, const std::string& options = "") {
  const std::string source = MARGIN_STRESS_SOURCE_DIR;
  return testing::run_shell("/usr/bin/python3 " + source + "/tests/python/check_results_layout.py " + results + " " +
                            source + "/docs/results.md " + options + " 2>&1");
}

TEST_F(XarrayLayout, EveryGroupMatchesTheDocumentAsXarrayReadsIt) {
  if (std::system("/usr/bin/python3 -c 'import xarray, h5netcdf, h5py' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no python3 with xarray, h5netcdf and h5py (scripts/install-deps installs python3-xarray and "
                    "python3-h5netcdf)";
  }
  const std::string results = path("results.h5");
  const Outcome run = run_cli("run --quiet --scenarios 3 --steps 8 --out " + results);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const Outcome checked = check_layout(results);
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  // A file without /drilldown (no --accounts-out) fails when it is required.
  EXPECT_NE(check_layout(results, "--drilldown").exit_code, 0);

  // With a drill-down (run --accounts-out), /drilldown opens alone too.
  const std::string drilled = path("drilled.h5");
  const Outcome drill =
      run_cli("run --quiet --scenarios 3 --steps 8 --accounts-worst 2 --accounts-out " + path("accounts.csv") +
              " --out " + drilled + " --config " + write_file("small.toml", "[portfolio]\naccounts = 200\n"));
  ASSERT_EQ(drill.exit_code, 0) << drill.output;
  const Outcome drill_checked = check_layout(drilled, "--drilldown");
  EXPECT_EQ(drill_checked.exit_code, 0) << drill_checked.output;

  // The check itself must be able to fail: a file whose group cannot be opened is reported.
  const std::string broken = write_file("broken.h5", "not an HDF5 file");
  EXPECT_NE(check_layout(broken).exit_code, 0);
}

}  // namespace
}  // namespace margin_stress
