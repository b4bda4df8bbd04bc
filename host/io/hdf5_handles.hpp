// Small RAII handles and checked wrappers over the HDF5 C API, one wrapper per call we use.
//
// Every failure throws with the file (as the user named it) and the object path:
// std::runtime_error when HDF5 cannot do what was asked (I/O, a corrupt file), InputError when a
// user's file does not have the expected shape (missing file or dataset, wrong rank, type or
// length), std::invalid_argument when our own caller passes inconsistent data.
// Opening or creating a file switches off HDF5's automatic error-stack printing on the calling
// thread, so users see only our message (with HDF5's innermost reason appended).
//
// Writes are reproducible: object time tracking is off, so the same calls give byte-identical
// files. Arrays above compress_above_bytes are chunked, shuffled and deflated (level 4).
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace margin_stress::hdf5 {

// Owns one HDF5 identifier and closes it with `close`. A close failure in the destructor is
// ignored (destructors do not throw); close_file checks the one close whose failure matters.
template <herr_t (*close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  hid_t release() noexcept { return std::exchange(id_, H5I_INVALID_HID); }
  void reset() noexcept {
    if (id_ >= 0) close(id_);
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using Dataspace = Handle<H5Sclose>;
using Datatype = Handle<H5Tclose>;
using PropertyList = Handle<H5Pclose>;
using Attribute = Handle<H5Aclose>;

// An open file, group or dataset together with the names its error messages need.
template <herr_t (*close)(hid_t)>
class Object {
 public:
  Object(hid_t id, std::string file_name, std::string path)
      : handle_(id), file_name_(std::move(file_name)), path_(std::move(path)) {}
  hid_t id() const { return handle_.get(); }
  const std::string& file_name() const { return file_name_; }
  const std::string& path() const { return path_; }
  hid_t release() noexcept { return handle_.release(); }

 private:
  Handle<close> handle_;
  std::string file_name_;  // the path the user gave (for a file being written: its final path)
  std::string path_;       // the object's path inside the file, "/" for the file itself
};

using File = Object<H5Fclose>;
using Group = Object<H5Gclose>;
using Dataset = Object<H5Dclose>;

// A non-owning view of a File, Group or Dataset: where a child or an attribute is created.
struct Location {
  template <herr_t (*close)(hid_t)>
  Location(const Object<close>& object)  // NOLINT(google-explicit-constructor): a view, by design
      : id(object.id()), file_name(object.file_name()), path(object.path()) {}

  std::string child_path(const std::string& name) const { return path == "/" ? "/" + name : path + "/" + name; }

  hid_t id;
  const std::string& file_name;
  const std::string& path;
};

// The HDF5 types of each element type we store: the native memory type and the little-endian
// file type, so that files are the same on every machine.
template <typename T>
struct ElementType;
template <>
struct ElementType<double> {
  static hid_t memory() { return H5T_NATIVE_DOUBLE; }
  static hid_t file() { return H5T_IEEE_F64LE; }
};
template <>
struct ElementType<std::int64_t> {
  static hid_t memory() { return H5T_NATIVE_INT64; }
  static hid_t file() { return H5T_STD_I64LE; }
};
template <>
struct ElementType<std::uint64_t> {
  static hid_t memory() { return H5T_NATIVE_UINT64; }
  static hid_t file() { return H5T_STD_U64LE; }
};
template <>
struct ElementType<std::int32_t> {
  static hid_t memory() { return H5T_NATIVE_INT32; }
  static hid_t file() { return H5T_STD_I32LE; }
};
template <>
struct ElementType<std::uint8_t> {
  static hid_t memory() { return H5T_NATIVE_UINT8; }
  static hid_t file() { return H5T_STD_U8LE; }
};
template <>
struct ElementType<std::int8_t> {
  static hid_t memory() { return H5T_NATIVE_INT8; }
  static hid_t file() { return H5T_STD_I8LE; }
};

// Arrays of at least this many bytes are chunked and compressed; below it the chunk index and
// filter headers cost more than compression saves.
inline constexpr std::size_t compress_above_bytes = 4096;
// Target chunk size: well under HDF5's default 1 MiB chunk cache, so a reader caches a whole chunk.
inline constexpr std::size_t chunk_target_bytes = std::size_t{256} * 1024;

// The chunk shape for an array of `dims` (empty: store contiguous). Leading dimensions are split
// first, so a chunk holds whole trailing rows: for [scenario][step][market] a scenario's series is
// one chunk (several scenarios share it when they are small), or a few when it is large.
std::vector<hsize_t> chunk_shape(const std::vector<hsize_t>& dims, std::size_t element_size);

// --- Files (H5Fcreate, H5Fopen, H5Fclose) ---

// Creates (truncating) the file at `path`; `display_name` is the name error messages give (the
// final path when `path` is a temporary).
File create_file(const std::string& path, const std::string& display_name);
// Opens an existing file read-only. InputError if it does not exist or is not an HDF5 file.
File open_file_read_only(const std::string& path);
// Flushes and closes the file, throwing if that fails (a full disk shows up here). Every object
// opened in it must be closed first.
void close_file(File& file);

// --- Groups (H5Gcreate2, H5Gopen2) ---

Group create_group(const Location& parent, const std::string& name);
// InputError if the group does not exist.
Group open_group(const Location& parent, const std::string& name);

// --- Writing datasets (H5Dcreate2, H5Dwrite) ---

// Writes `data`, `element_count` elements of `memory_type`, as a new dataset of shape `dims`.
// std::invalid_argument if element_count is not the product of dims.
Dataset write_dataset(const Location& parent, const std::string& name, const std::vector<hsize_t>& dims,
                      hid_t file_type, hid_t memory_type, std::size_t element_size, std::size_t element_count,
                      const void* data);

template <typename T>
Dataset write_array(const Location& parent, const std::string& name, const std::vector<hsize_t>& dims,
                    const std::vector<T>& values) {
  return write_dataset(parent, name, dims, ElementType<T>::file(), ElementType<T>::memory(), sizeof(T), values.size(),
                       values.data());
}

template <typename T>
Dataset write_vector(const Location& parent, const std::string& name, const std::vector<T>& values) {
  return write_array(parent, name, {static_cast<hsize_t>(values.size())}, values);
}

// A 1-D array of variable-length UTF-8 strings. std::invalid_argument if a string holds a NUL.
Dataset write_strings(const Location& parent, const std::string& name, const std::vector<std::string>& values);

// --- Reading datasets (H5Dopen2, H5Dget_space, H5Dget_create_plist, H5Dget_space_status,
//     H5Dget_type, H5Dread) ---

// InputError if there is no dataset `name` in `parent`.
Dataset open_dataset(const Location& parent, const std::string& name);
// The length of a 1-D dataset; InputError for any other rank, and unless the file itself stores
// every row (rows never written read as HDF5's fill value, and virtual datasets and external raw
// data are stored elsewhere: a file of a few kilobytes could declare 2^40 rows). Check it before
// reading, since the read allocates that many elements.
std::size_t vector_length(const Dataset& dataset);
// The whole 1-D dataset. InputError if vector_length refuses it, or it is not of a floating-point
// (resp. integer, string) type, or (integers) holds a value outside the int64 range.
std::vector<double> read_float64_vector(const Dataset& dataset);
std::vector<std::int64_t> read_int64_vector(const Dataset& dataset);
std::vector<std::string> read_string_vector(const Dataset& dataset);

// --- Attributes (H5Screate_simple, H5Acreate2, H5Awrite, H5Aopen, H5Aread) ---

// A scalar variable-length UTF-8 string attribute. std::invalid_argument if it holds a NUL.
void write_string_attribute(const Location& object, const std::string& name, const std::string& value);

void write_scalar_attribute(const Location& object, const std::string& name, hid_t file_type, hid_t memory_type,
                            const void* value);

template <typename T>
void write_scalar_attribute(const Location& object, const std::string& name, T value) {
  write_scalar_attribute(object, name, ElementType<T>::file(), ElementType<T>::memory(), &value);
}

// A 1-D attribute of `element_count` elements.
void write_vector_attribute(const Location& object, const std::string& name, hid_t file_type, hid_t memory_type,
                            std::size_t element_count, const void* values);

template <typename T>
void write_vector_attribute(const Location& object, const std::string& name, const std::vector<T>& values) {
  write_vector_attribute(object, name, ElementType<T>::file(), ElementType<T>::memory(), values.size(), values.data());
}

// InputError if the attribute is missing or not a scalar string (resp. integer) attribute.
std::string read_string_attribute(const Location& object, const std::string& name);
std::int64_t read_int64_attribute(const Location& object, const std::string& name);

// --- Dimension scales (H5DSset_scale, H5DSattach_scale, H5DSset_label) ---

// Makes `scale` a dimension scale named `dimension_name` (the axis name xarray and h5py show).
void make_dimension_scale(const Dataset& scale, const std::string& dimension_name);
// Attaches `scale` to dimension `dimension` (0-based) of `dataset`.
void attach_dimension_scale(const Dataset& dataset, const Dataset& scale, unsigned dimension);
// Labels dimension `dimension` of `dataset` (what h5py's dataset.dims[i].label shows).
void set_dimension_label(const Dataset& dataset, unsigned dimension, const std::string& label);

}  // namespace margin_stress::hdf5
