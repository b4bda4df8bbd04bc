// Reading every dataset of a results file as bytes, to compare two files bit for bit (golden
// results, resumed runs). Provenance attributes are not read.
#pragma once

#include <hdf5.h>

#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "host/io/hdf5_handles.hpp"

namespace margin_stress::testing {

// A dataset's contents as bytes in the machine's native layout; variable-length strings as their
// text, each followed by a NUL.
struct DatasetBytes {
  bool is_double = false;
  std::vector<unsigned char> bytes;
};

using FileContents = std::map<std::string, DatasetBytes>;

inline DatasetBytes read_dataset(hid_t file, const std::string& path) {
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

inline herr_t visit_object(hid_t, const char* name, const H5O_info_t* info, void* data) {
  if (info->type != H5O_TYPE_DATASET) return 0;
  auto* visit = static_cast<Visit*>(data);
  const std::string path = std::string("/") + name;
  (*visit->contents)[path] = read_dataset(visit->file, path);
  return 0;
}

inline FileContents read_results(const std::string& path) {
  FileContents contents;
  const hdf5::Handle<H5Fclose> file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (file.get() < 0) return contents;
  Visit visit{file.get(), &contents};
  H5Ovisit(file.get(), H5_INDEX_NAME, H5_ITER_INC, visit_object, &visit);
  return contents;
}

// The first element that differs, with both values where they are doubles.
inline std::string first_difference(const DatasetBytes& expected, const DatasetBytes& actual) {
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

// "" when every dataset of `expected` is in `actual` with the same bytes and `actual` has no
// other; otherwise the first dataset that differs and how.
inline std::string first_dataset_difference(const FileContents& expected, const FileContents& actual) {
  for (const auto& [dataset, bytes] : expected) {
    const auto now = actual.find(dataset);
    if (now == actual.end()) return dataset + " is missing";
    const std::string difference = first_difference(bytes, now->second);
    if (!difference.empty()) return dataset + ": " + difference;
  }
  for (const auto& entry : actual) {
    if (expected.count(entry.first) == 0) return entry.first + " is extra";
  }
  return "";
}

}  // namespace margin_stress::testing
