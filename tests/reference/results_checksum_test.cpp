// The results file's checksum, checked the way docs/results.md ("Checksum") tells a reader to
// check it: the Python recipe printed there, run as written with h5py and zlib, agrees with the
// file's datasets_crc32, and no longer agrees once one number of the file is changed.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/reference/cli_runner.hpp"

namespace margin_stress {
namespace {

using testing::Outcome;
using testing::read_text;
using testing::run_cli;

// The Python block of docs/results.md's "Checksum" section, with `path` for "results.h5".
std::string documented_recipe(const std::string& path) {
  const std::string docs = read_text(std::string(MARGIN_STRESS_SOURCE_DIR) + "/docs/results.md");
  const std::size_t section = docs.find("### Checksum");
  const std::size_t begin = docs.find("```python\n", section);
  const std::size_t end = docs.find("```\n", begin + 10);
  if (section == std::string::npos || begin == std::string::npos || end == std::string::npos) return "";
  std::string recipe = docs.substr(begin + 10, end - begin - 10);
  for (std::size_t at = recipe.find("\"results.h5\""); at != std::string::npos; at = recipe.find("\"results.h5\"")) {
    recipe.replace(at, 12, "\"" + path + "\"");
  }
  return recipe;
}

// Runs the recipe with Debian's python3 (python3-h5py is one of the project's packages).
int run_python(const std::string& script_path) {
  return std::system(("/usr/bin/python3 " + script_path + " >/dev/null 2>&1").c_str());
}

class ResultsChecksum : public testing::ScratchDirectoryTest {};

TEST_F(ResultsChecksum, TheDocumentedRecipeAgreesAndCatchesAChangedNumber) {
  if (std::system("/usr/bin/python3 -c 'import h5py, zlib' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no python3 with h5py here (scripts/install-deps installs python3-h5py)";
  }
  const std::string results = path("results.h5");
  const Outcome outcome = run_cli("run --quiet --scenarios 3 --steps 8 --out " + results);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  const std::string recipe = documented_recipe(results);
  ASSERT_NE(recipe.find("datasets_crc32"), std::string::npos) << "docs/results.md lost its checksum recipe";
  const std::string script = write_file("check.py", recipe);
  EXPECT_EQ(run_python(script), 0) << "the documented recipe disagrees with the file:\n" << recipe;

  // One mark price changed, as a damaged or edited file would have it.
  const hid_t file = H5Fopen(results.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t dataset = H5Dopen2(file, "/series/mark_price_usd", H5P_DEFAULT);
  ASSERT_GE(dataset, 0);
  const hid_t space = H5Dget_space(dataset);
  const hsize_t first[3] = {0, 0, 0};
  const hsize_t one[3] = {1, 1, 1};
  H5Sselect_hyperslab(space, H5S_SELECT_SET, first, nullptr, one, nullptr);
  const hid_t memory = H5Screate_simple(3, one, nullptr);
  const double changed = 12345.678;
  EXPECT_GE(H5Dwrite(dataset, H5T_NATIVE_DOUBLE, memory, space, H5P_DEFAULT, &changed), 0);
  H5Sclose(memory);
  H5Sclose(space);
  H5Dclose(dataset);
  H5Fclose(file);
  EXPECT_NE(run_python(script), 0) << "a changed number went unnoticed";
}

}  // namespace
}  // namespace margin_stress
