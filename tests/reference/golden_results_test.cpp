// Golden results: every case of tests/data/golden/cases.tsv run as a user runs it, and every dataset
// of its results file equal bit for bit to the stored one. A change of the engine's numbers, on
// purpose or not, fails here until scripts/regenerate-golden records why (tests/data/golden/
// HISTORY.md). The provenance attributes (time, commit, command line) are not compared.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "host/io/hdf5_handles.hpp"
#include "tests/reference/cli_runner.hpp"

namespace margin_stress {
namespace {

namespace fs = std::filesystem;
using testing::Outcome;
using testing::run_cli;

const fs::path golden_directory = fs::path(MARGIN_STRESS_SOURCE_DIR) / "tests/data/golden";

struct GoldenCase {
  std::string name;
  std::string arguments;
};

std::vector<GoldenCase> golden_cases() {
  std::vector<GoldenCase> cases;
  std::ifstream in(golden_directory / "cases.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    cases.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return cases;
}

// A dataset's contents as bytes in the machine's native layout; variable-length strings as their
// text, each followed by a NUL.
struct DatasetBytes {
  bool is_double = false;
  std::vector<unsigned char> bytes;
};

using FileContents = std::map<std::string, DatasetBytes>;

DatasetBytes read_dataset(hid_t file, const std::string& path) {
  DatasetBytes contents;
  const hdf5::Handle<H5Dclose> dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  const hdf5::Datatype file_type(H5Dget_type(dataset.get()));
  const hdf5::Dataspace space(H5Dget_space(dataset.get()));
  const auto count = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
  if (H5Tget_class(file_type.get()) == H5T_STRING && H5Tis_variable_str(file_type.get()) > 0) {
    std::vector<char*> strings(count, nullptr);
    const hdf5::Datatype memory_type(H5Tcopy(H5T_C_S1));
    H5Tset_size(memory_type.get(), H5T_VARIABLE);
    H5Tset_cset(memory_type.get(), H5T_CSET_UTF8);
    if (H5Dread(dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, strings.data()) >= 0) {
      for (char* text : strings) {
        if (text != nullptr) contents.bytes.insert(contents.bytes.end(), text, text + std::strlen(text));
        contents.bytes.push_back(0);
      }
      H5Dvlen_reclaim(memory_type.get(), space.get(), H5P_DEFAULT, strings.data());
    }
    return contents;
  }
  const hdf5::Datatype memory_type(H5Tget_native_type(file_type.get(), H5T_DIR_ASCEND));
  contents.is_double = H5Tget_class(file_type.get()) == H5T_FLOAT && H5Tget_size(memory_type.get()) == sizeof(double);
  contents.bytes.resize(count * H5Tget_size(memory_type.get()));
  if (H5Dread(dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, contents.bytes.data()) < 0) {
    contents.bytes.clear();
  }
  return contents;
}

struct Visit {
  hid_t file;
  FileContents* contents;
};

herr_t visit_object(hid_t, const char* name, const H5O_info_t* info, void* data) {
  if (info->type != H5O_TYPE_DATASET) return 0;
  auto* visit = static_cast<Visit*>(data);
  const std::string path = std::string("/") + name;
  (*visit->contents)[path] = read_dataset(visit->file, path);
  return 0;
}

FileContents read_results(const fs::path& path) {
  FileContents contents;
  const hdf5::Handle<H5Fclose> file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (file.get() < 0) return contents;
  Visit visit{file.get(), &contents};
  H5Ovisit(file.get(), H5_INDEX_NAME, H5_ITER_INC, visit_object, &visit);
  return contents;
}

// The first element that differs, with both values where they are doubles.
std::string first_difference(const DatasetBytes& expected, const DatasetBytes& actual) {
  if (expected.bytes.size() != actual.bytes.size()) {
    return std::to_string(expected.bytes.size()) + " bytes stored, " + std::to_string(actual.bytes.size()) + " now";
  }
  const std::size_t width = expected.is_double ? sizeof(double) : 1;
  for (std::size_t i = 0; i < expected.bytes.size(); i += width) {
    if (std::memcmp(&expected.bytes[i], &actual.bytes[i], width) == 0) continue;
    std::ostringstream message;
    message.precision(17);
    message << "element " << i / width;
    if (expected.is_double) {
      double stored = 0.0;
      double now = 0.0;
      std::memcpy(&stored, &expected.bytes[i], sizeof(double));
      std::memcpy(&now, &actual.bytes[i], sizeof(double));
      message << ": stored " << stored << ", now " << now;
    }
    return message.str();
  }
  return "";
}

// The cases name their configs relative to the repository; the test runs elsewhere.
std::string with_repository_paths(std::string arguments) {
  const std::string option = "--config ";
  for (std::size_t at = arguments.find(option); at != std::string::npos; at = arguments.find(option, at + 1)) {
    arguments.insert(at + option.size(), std::string(MARGIN_STRESS_SOURCE_DIR) + "/");
  }
  return arguments;
}

class GoldenResults : public testing::ScratchDirectoryTest {};

TEST_F(GoldenResults, EveryCaseGivesTheStoredResultsBitForBit) {
  const std::vector<GoldenCase> cases = golden_cases();
  ASSERT_GE(cases.size(), 20u) << "tests/data/golden/cases.tsv lost its cases";
  const std::string book = path("book.h5");
  const Outcome generated = run_cli("portfolio generate --quiet --accounts 1000 --seed 20261203 --out " + book);
  ASSERT_EQ(generated.exit_code, 0) << generated.output;

  for (const GoldenCase& golden : cases) {
    SCOPED_TRACE(golden.name + ": margin-stress run " + golden.arguments);
    const fs::path stored = golden_directory / (golden.name + ".h5");
    ASSERT_TRUE(fs::exists(stored)) << stored << " is missing: scripts/regenerate-golden writes it";
    const std::string out = path(golden.name + ".h5");
    const Outcome outcome = run_cli("run --quiet --backend cpu --portfolio " + book + " --out " + out + " " +
                                    with_repository_paths(golden.arguments));
    ASSERT_EQ(outcome.exit_code, 0) << outcome.output;

    const FileContents expected = read_results(stored);
    const FileContents actual = read_results(out);
    ASSERT_GT(expected.size(), 30u) << "the stored file has lost its datasets";
    for (const auto& [dataset, stored_bytes] : expected) {
      const auto now = actual.find(dataset);
      if (now == actual.end()) {
        ADD_FAILURE() << dataset << " is no longer written";
        continue;
      }
      EXPECT_EQ(first_difference(stored_bytes, now->second), "") << dataset << " differs";
    }
    for (const auto& [dataset, bytes] : actual) {
      EXPECT_TRUE(expected.count(dataset)) << dataset << " is new: record it with scripts/regenerate-golden";
    }
  }
}

}  // namespace
}  // namespace margin_stress
