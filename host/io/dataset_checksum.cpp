#include "host/io/dataset_checksum.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/io/checksum.hpp"

namespace margin_stress {
namespace {

using Paths = std::vector<std::string>;

herr_t collect_dataset(hid_t, const char* name, const H5O_info_t* info, void* paths) {
  if (info->type == H5O_TYPE_DATASET) static_cast<Paths*>(paths)->emplace_back(name);
  return 0;
}

std::uint32_t add_dataset(const hdf5::File& file, const std::string& path, std::uint32_t crc) {
  const hdf5::Handle<H5Dclose> dataset(H5Dopen2(file.id(), path.c_str(), H5P_DEFAULT));
  const hdf5::Datatype stored_type(H5Dget_type(dataset.get()));
  const hdf5::Dataspace space(H5Dget_space(dataset.get()));
  if (dataset.get() < 0 || stored_type.get() < 0 || space.get() < 0) {
    throw std::runtime_error(file.file_name() + ": cannot read /" + path + " to checksum it");
  }
  crc = crc32_of(path.c_str(), path.size() + 1, crc);  // with its NUL
  const auto count = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
  if (H5Tget_class(stored_type.get()) == H5T_STRING && H5Tis_variable_str(stored_type.get()) > 0) {
    std::vector<char*> strings(count, nullptr);
    const hdf5::Datatype memory_type(H5Tcopy(H5T_C_S1));
    H5Tset_size(memory_type.get(), H5T_VARIABLE);
    H5Tset_cset(memory_type.get(), H5T_CSET_UTF8);
    if (H5Dread(dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, strings.data()) < 0) {
      throw std::runtime_error(file.file_name() + ": cannot read /" + path + " to checksum it");
    }
    for (const char* text : strings) crc = crc32_of(text, text == nullptr ? 0 : std::strlen(text) + 1, crc);
    H5Dvlen_reclaim(memory_type.get(), space.get(), H5P_DEFAULT, strings.data());
    return crc;
  }
  // Read in the stored (little-endian) type itself: the bytes as they are in the file, on any machine.
  std::vector<unsigned char> bytes(count * H5Tget_size(stored_type.get()));
  if (!bytes.empty() && H5Dread(dataset.get(), stored_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) < 0) {
    throw std::runtime_error(file.file_name() + ": cannot read /" + path + " to checksum it");
  }
  return crc32_of(bytes.data(), bytes.size(), crc);
}

}  // namespace

std::uint32_t datasets_crc32(const hdf5::File& file) {
  Paths paths;
  if (H5Ovisit(file.id(), H5_INDEX_NAME, H5_ITER_INC, collect_dataset, &paths) < 0) {
    throw std::runtime_error(file.file_name() + ": cannot list its datasets to checksum them");
  }
  std::sort(paths.begin(), paths.end());
  std::uint32_t crc = 0;
  for (const std::string& path : paths) crc = add_dataset(file, path, crc);
  return crc;
}

}  // namespace margin_stress
