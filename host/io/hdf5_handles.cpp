#include "host/io/hdf5_handles.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "host/model/input_error.hpp"

namespace margin_stress::hdf5 {
namespace {

constexpr unsigned deflate_level = 4;

// HDF5's innermost reason for the last failure on this thread, e.g. "No space left on device".
// Read before any other HDF5 call, since every API call clears the error stack on entry.
std::string hdf5_reason() {
  std::string reason;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* error, void* client_data) -> herr_t {
        if (n != 0 || error->desc == nullptr) return 0;
        // A failed write's description holds the whole system call ("time = ..., errno = 28, error
        // message = 'No space left on device', ..."): keep the system's message.
        std::string desc = error->desc;
        const std::string marker = "error message = '";
        const std::size_t at = desc.find(marker);
        if (at != std::string::npos)
          desc = desc.substr(at + marker.size(), desc.find('\'', at + marker.size()) - at - marker.size());
        *static_cast<std::string*>(client_data) = desc;
        return 0;
      },
      &reason);
  return reason;
}

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  std::string message = where + ": " + what;
  const std::string reason = hdf5_reason();
  if (!reason.empty()) message += " (HDF5: " + reason + ")";
  throw std::runtime_error(message);
}

// A file a user gave that HDF5 cannot read where it opened: damaged or truncated, so bad input
// (InputError, exit code 3), not a failure of the program.
[[noreturn]] void fail_reading(const std::string& where, const std::string& what) {
  std::string message = where + ": " + what + " (the file may be damaged or truncated)";
  const std::string reason = hdf5_reason();
  if (!reason.empty()) message += " (HDF5: " + reason + ")";
  throw InputError(message);
}

// HDF5 closes at exit (atexit) whatever is still open; a file whose close failed on a full disk is
// still open then, and HDF5 1.10 crashes flushing it again (a segmentation fault after our error
// message). Every file we write is closed explicitly (close_file), and one that failed is deleted,
// so the library is asked not to clean up at exit. H5dont_atexit must come before any other HDF5
// call, hence here, on the way to the first. Then HDF5 prints no error stack on this thread: users
// see only our message.
void silence_error_printing() {
  static const bool no_cleanup_at_exit = [] { return H5dont_atexit() >= 0; }();
  static_cast<void>(no_cleanup_at_exit);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

std::string object_where(const Location& location) { return location.file_name + ": " + location.path; }

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string text;
  for (const hsize_t d : dims) text += "[" + std::to_string(d) + "]";
  return text;
}

std::string describe_type(hid_t type) {
  const std::string bits = std::to_string(8 * H5Tget_size(type));
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return (H5Tget_sign(type) == H5T_SGN_NONE ? "unsigned " : "signed ") + bits + "-bit integer";
    case H5T_FLOAT:
      return bits + "-bit floating point";
    case H5T_STRING:
      return "string";
    case H5T_ENUM:
      return "enum (h5py stores bool as one)";
    case H5T_COMPOUND:
      return "compound";
    default:
      return "a non-numeric type";
  }
}

PropertyList untimed_creation_list(hid_t property_class, const std::string& where) {
  PropertyList list(H5Pcreate(property_class));
  // Creation and modification times would make two identical runs give different files.
  if (list.get() < 0 || H5Pset_obj_track_times(list.get(), false) < 0) fail(where, "cannot set up creation properties");
  return list;
}

Dataset create_dataset(const Location& parent, const std::string& name, const std::vector<hsize_t>& dims,
                       hid_t file_type, const std::vector<hsize_t>& chunk) {
  const std::string path = parent.child_path(name);
  const std::string where = parent.file_name + ": " + path;
  const Dataspace space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  if (space.get() < 0) fail(where, "cannot make a dataspace of shape " + shape_text(dims));
  const PropertyList creation = untimed_creation_list(H5P_DATASET_CREATE, where);
  if (!chunk.empty()) {
    if (H5Pset_chunk(creation.get(), static_cast<int>(chunk.size()), chunk.data()) < 0 ||
        H5Pset_shuffle(creation.get()) < 0 || H5Pset_deflate(creation.get(), deflate_level) < 0) {
      fail(where, "cannot set up chunking and compression");
    }
  }
  const hid_t id =
      H5Dcreate2(parent.id, name.c_str(), file_type, space.get(), H5P_DEFAULT, creation.get(), H5P_DEFAULT);
  if (id < 0) fail(where, "cannot create the dataset");
  return Dataset(id, parent.file_name, path);
}

std::vector<hsize_t> dataset_shape(const Dataset& dataset) {
  const std::string where = dataset.file_name() + ": " + dataset.path();
  const Dataspace space(H5Dget_space(dataset.id()));
  if (space.get() < 0) fail_reading(where, "cannot read the dataset's shape");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail_reading(where, "cannot read the dataset's shape");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
    fail_reading(where, "cannot read the dataset's shape");
  return dims;
}

Datatype dataset_type(const Dataset& dataset) {
  Datatype type(H5Dget_type(dataset.id()));
  if (type.get() < 0) fail_reading(dataset.file_name() + ": " + dataset.path(), "cannot read the dataset's type");
  return type;
}

// A dataset's length is only a declaration: rows a file never wrote cost it nothing and read as
// the fill value, and so do the rows of a virtual dataset that maps none, while external raw data
// can be any file (/dev/zero). Reading them would allocate memory for every one (found by
// tests/fuzz/portfolio_fuzz: 2^26 market names declared in a 12 KB portfolio file took 2.6 GB and
// 7 s before the first name was refused). Requiring every row of a 1-D dataset to be stored in the
// file itself bounds what a file makes us allocate by its size (times at most the compression
// ratio of its chunks).
void require_rows_stored(const Dataset& dataset, hsize_t rows) {
  const std::string where = object_where(dataset);
  const PropertyList creation(H5Dget_create_plist(dataset.id()));
  if (creation.get() < 0) fail_reading(where, "cannot read the dataset's storage");
  const H5D_layout_t layout = H5Pget_layout(creation.get());
  const int external_files = H5Pget_external_count(creation.get());
  if (layout < 0 || external_files < 0) fail_reading(where, "cannot read the dataset's storage");
  if (layout == H5D_VIRTUAL || external_files > 0) {
    throw InputError(where + ": its rows are stored outside the file (" +
                     (layout == H5D_VIRTUAL ? "a virtual dataset" : "external raw data") +
                     "); the file must hold its own rows");
  }
  bool none = false;
  bool all = false;
  if (layout == H5D_CHUNKED) {
    // Counted by chunk: H5Dget_space_status compares bytes, so it calls every compressed dataset
    // partly allocated.
    // HDF5 1.10 refuses H5S_ALL here: the dataset's own space selects every row.
    const Dataspace space(H5Dget_space(dataset.id()));
    hsize_t chunk_rows = 0;
    hsize_t stored_chunks = 0;
    if (space.get() < 0 || H5Pget_chunk(creation.get(), 1, &chunk_rows) != 1 || chunk_rows == 0 ||
        H5Dget_num_chunks(dataset.id(), space.get(), &stored_chunks) < 0) {
      fail_reading(where, "cannot read the dataset's chunks");
    }
    none = stored_chunks == 0;
    all = stored_chunks >= rows / chunk_rows + (rows % chunk_rows != 0 ? 1 : 0);
  } else {  // contiguous (allocated whole when written) or compact (always in the object header)
    H5D_space_status_t status = H5D_SPACE_STATUS_ERROR;
    if (H5Dget_space_status(dataset.id(), &status) < 0) fail_reading(where, "cannot read the dataset's storage");
    none = status == H5D_SPACE_STATUS_NOT_ALLOCATED;
    all = status == H5D_SPACE_STATUS_ALLOCATED;
  }
  if (!all) {
    throw InputError(where + ": declares " + std::to_string(rows) + " rows and the file stores " +
                     (none ? "none" : "only some") + " of them; every row must be written");
  }
}

void require_class(hid_t type, H5T_class_t expected, const std::string& where, const char* expected_text) {
  if (H5Tget_class(type) != expected) {
    throw InputError(where + ": has type " + describe_type(type) + "; expected " + expected_text);
  }
}

// Reads a numeric dataset into `memory_type`. HDF5 converts from the file's type; a value that
// does not fit (an unsigned 64-bit value above the int64 range) is an error, not silently clipped.
void read_numbers(const Dataset& dataset, hid_t memory_type, void* buffer, const char* range_text) {
  const std::string where = dataset.file_name() + ": " + dataset.path();
  bool out_of_range = false;
  const PropertyList transfer(H5Pcreate(H5P_DATASET_XFER));
  const H5T_conv_except_func_t on_exception = [](H5T_conv_except_t kind, hid_t, hid_t, void*, void*,
                                                 void* flag) -> H5T_conv_ret_t {
    if (kind != H5T_CONV_EXCEPT_RANGE_HI && kind != H5T_CONV_EXCEPT_RANGE_LOW) return H5T_CONV_UNHANDLED;
    *static_cast<bool*>(flag) = true;
    return H5T_CONV_ABORT;
  };
  if (transfer.get() < 0 || H5Pset_type_conv_cb(transfer.get(), on_exception, &out_of_range) < 0) {
    fail(where, "cannot set up the read");
  }
  if (H5Dread(dataset.id(), memory_type, H5S_ALL, H5S_ALL, transfer.get(), buffer) < 0) {
    if (out_of_range) throw InputError(where + ": holds a value outside the range of " + range_text);
    fail_reading(where, "cannot read the dataset");
  }
}

// Frees the strings HDF5 allocated for a variable-length read, also when copying them throws.
class VariableLengthBuffer {
 public:
  VariableLengthBuffer(hid_t memory_type, std::size_t count) : memory_type_(memory_type), pointers_(count, nullptr) {}
  VariableLengthBuffer(const VariableLengthBuffer&) = delete;
  VariableLengthBuffer& operator=(const VariableLengthBuffer&) = delete;
  ~VariableLengthBuffer() {
    const hsize_t count = pointers_.size();
    const Dataspace space(H5Screate_simple(1, &count, nullptr));
    if (space.get() >= 0) H5Dvlen_reclaim(memory_type_, space.get(), H5P_DEFAULT, pointers_.data());
  }
  char** data() { return pointers_.data(); }
  const std::vector<char*>& pointers() const { return pointers_; }

 private:
  hid_t memory_type_;
  std::vector<char*> pointers_;
};

// `count` strings of the string type `file_type`, read through `read(memory_type, buffer)`
// (H5Dread or H5Aread). Variable-length (h5py's default) and fixed-length strings are accepted.
template <typename Read>
std::vector<std::string> read_strings(hid_t file_type, std::size_t count, const std::string& where, Read read) {
  // Reading in the file's own string type: HDF5 converts nothing (not even the character set).
  const Datatype memory_type(H5Tcopy(file_type));
  const htri_t variable = H5Tis_variable_str(file_type);
  if (memory_type.get() < 0 || variable < 0) fail_reading(where, "cannot read the string type");
  std::vector<std::string> strings;
  strings.reserve(count);
  if (variable > 0) {
    VariableLengthBuffer buffer(memory_type.get(), count);
    if (read(memory_type.get(), buffer.data()) < 0) fail_reading(where, "cannot read the strings");
    for (const char* text : buffer.pointers()) strings.emplace_back(text != nullptr ? text : "");
    return strings;
  }
  const std::size_t size = H5Tget_size(file_type);
  const bool space_padded = H5Tget_strpad(file_type) == H5T_STR_SPACEPAD;
  std::vector<char> buffer(count * size);
  if (read(memory_type.get(), buffer.data()) < 0) fail_reading(where, "cannot read the strings");
  for (std::size_t i = 0; i < count; ++i) {
    const char* begin = buffer.data() + i * size;
    std::string text(begin, strnlen(begin, size));
    if (space_padded) text.erase(text.find_last_not_of(' ') + 1);
    strings.push_back(std::move(text));
  }
  return strings;
}

Datatype utf8_string_type(const std::string& where) {
  Datatype type(H5Tcopy(H5T_C_S1));
  if (type.get() < 0 || H5Tset_size(type.get(), H5T_VARIABLE) < 0 || H5Tset_cset(type.get(), H5T_CSET_UTF8) < 0) {
    fail(where, "cannot make a string type");
  }
  return type;
}

void require_no_nul(const std::string& value, const std::string& where) {
  if (value.find('\0') != std::string::npos) throw std::invalid_argument(where + ": a string holds a NUL character");
}

// A scalar attribute, or a 1-D one of `length` elements.
Attribute create_attribute(const Location& object, const std::string& name, hid_t file_type, const std::string& where,
                           std::optional<hsize_t> length = std::nullopt) {
  const Dataspace space(length ? H5Screate_simple(1, &*length, nullptr) : H5Screate(H5S_SCALAR));
  if (space.get() < 0) fail(where, "cannot make the attribute's dataspace");
  Attribute attribute(H5Acreate2(object.id, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (attribute.get() < 0) fail(where, "cannot create the attribute");
  return attribute;
}

// The attribute `name` of `object`, its type, which must be of `expected` class, and one value.
struct OpenedAttribute {
  Attribute attribute;
  Datatype type;
};

OpenedAttribute open_scalar_attribute(const Location& object, const std::string& name, H5T_class_t expected,
                                      const char* expected_text, const std::string& where) {
  const htri_t exists = H5Aexists(object.id, name.c_str());
  if (exists < 0) fail_reading(where, "cannot look up the attribute");
  if (exists == 0) throw InputError(where + " is missing");
  OpenedAttribute opened{Attribute(H5Aopen(object.id, name.c_str(), H5P_DEFAULT)), Datatype()};
  if (opened.attribute.get() < 0) fail_reading(where, "cannot open the attribute");
  const Dataspace space(H5Aget_space(opened.attribute.get()));
  if (space.get() < 0) fail_reading(where, "cannot read the attribute's shape");
  const hssize_t points = H5Sget_simple_extent_npoints(space.get());
  if (points != 1) throw InputError(where + " holds " + std::to_string(points) + " values; expected one");
  opened.type = Datatype(H5Aget_type(opened.attribute.get()));
  if (opened.type.get() < 0) fail_reading(where, "cannot read the attribute's type");
  require_class(opened.type.get(), expected, where, expected_text);
  return opened;
}

std::string attribute_where(const Location& object, const std::string& name) {
  return object.file_name + ": " + (object.path == "/" ? "root" : object.path) + " attribute '" + name + "'";
}

}  // namespace

std::vector<hsize_t> chunk_shape(const std::vector<hsize_t>& dims, std::size_t element_size) {
  hsize_t total_bytes = element_size;
  for (const hsize_t d : dims) total_bytes *= d;
  if (total_bytes < compress_above_bytes) return {};
  std::vector<hsize_t> chunk = dims;
  for (std::size_t d = 0; d < dims.size(); ++d) {
    hsize_t inner_bytes = element_size;  // one index along d: the product of the later dimensions
    for (std::size_t e = d + 1; e < dims.size(); ++e) inner_bytes *= dims[e];
    chunk[d] = std::clamp<hsize_t>(chunk_target_bytes / inner_bytes, 1, dims[d]);
    if (inner_bytes <= chunk_target_bytes) break;  // the later dimensions stay whole
  }
  return chunk;
}

File create_file(const std::string& path, const std::string& display_name) {
  silence_error_printing();
  // The root group is created with the file: its creation list carries the time-tracking switch.
  const PropertyList creation = untimed_creation_list(H5P_FILE_CREATE, display_name);
  const PropertyList access(H5Pcreate(H5P_FILE_ACCESS));
  // SEMI: closing the file fails while an object in it is still open, rather than leaving the
  // file open behind our back (close_file must really have written everything before a rename).
  if (access.get() < 0 || H5Pset_fclose_degree(access.get(), H5F_CLOSE_SEMI) < 0) {
    fail(display_name, "cannot set up file access properties");
  }
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, creation.get(), access.get());
  if (id < 0) fail(display_name, path == display_name ? "cannot create the file" : "cannot create the file " + path);
  return File(id, display_name, "/");
}

File open_file_read_only(const std::string& path) {
  silence_error_printing();
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error && error != std::errc::no_such_file_or_directory) {
    throw InputError(path + ": cannot be read (" + error.message() + ")");
  }
  if (!std::filesystem::exists(status)) throw InputError(path + ": no such file");
  if (std::filesystem::is_directory(status)) throw InputError(path + ": is a directory, not an HDF5 file");
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 < 0) throw InputError(path + ": cannot be read (" + hdf5_reason() + ")");
  if (is_hdf5 == 0) throw InputError(path + ": is not an HDF5 file");
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) throw InputError(path + ": cannot be opened as an HDF5 file (" + hdf5_reason() + ")");
  return File(id, path, "/");
}

void close_file(File& file) {
  const hid_t id = file.release();
  if (id >= 0 && H5Fclose(id) < 0) fail(file.file_name(), "cannot finish writing the file");
}

Group create_group(const Location& parent, const std::string& name) {
  const std::string path = parent.child_path(name);
  const std::string where = parent.file_name + ": " + path;
  const PropertyList creation = untimed_creation_list(H5P_GROUP_CREATE, where);
  const hid_t id = H5Gcreate2(parent.id, name.c_str(), H5P_DEFAULT, creation.get(), H5P_DEFAULT);
  if (id < 0) fail(where, "cannot create the group");
  return Group(id, parent.file_name, path);
}

Group open_group(const Location& parent, const std::string& name) {
  const std::string path = parent.child_path(name);
  const std::string where = parent.file_name + ": " + path;
  const htri_t exists = H5Lexists(parent.id, name.c_str(), H5P_DEFAULT);
  if (exists < 0) fail_reading(where, "cannot look up the group");
  if (exists == 0) throw InputError(where + ": group is missing");
  const hid_t id = H5Gopen2(parent.id, name.c_str(), H5P_DEFAULT);
  if (id < 0) throw InputError(where + ": is not a group");
  return Group(id, parent.file_name, path);
}

Dataset write_dataset(const Location& parent, const std::string& name, const std::vector<hsize_t>& dims,
                      hid_t file_type, hid_t memory_type, std::size_t element_size, std::size_t element_count,
                      const void* data) {
  hsize_t expected = 1;
  for (const hsize_t d : dims) expected *= d;
  if (expected != element_count) {
    throw std::invalid_argument(parent.file_name + ": " + parent.child_path(name) + ": " +
                                std::to_string(element_count) + " values for shape " + shape_text(dims) + " (" +
                                std::to_string(expected) + " values)");
  }
  Dataset dataset = create_dataset(parent, name, dims, file_type, chunk_shape(dims, element_size));
  // HDF5 rejects a null buffer even for an empty selection, and there is nothing to write.
  if (element_count > 0 && H5Dwrite(dataset.id(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    fail(object_where(dataset), "cannot write the dataset");
  }
  return dataset;
}

Dataset write_strings(const Location& parent, const std::string& name, const std::vector<std::string>& values) {
  const std::string where = parent.file_name + ": " + parent.child_path(name);
  const Datatype type = utf8_string_type(where);
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const std::string& value : values) {
    require_no_nul(value, where);
    pointers.push_back(value.c_str());
  }
  // Contiguous: the dataset holds only references into the file's string heap; compressing
  // them saves nothing.
  Dataset dataset = create_dataset(parent, name, {static_cast<hsize_t>(values.size())}, type.get(), {});
  if (!values.empty() && H5Dwrite(dataset.id(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) < 0) {
    fail(where, "cannot write the dataset");
  }
  return dataset;
}

Dataset open_dataset(const Location& parent, const std::string& name) {
  const std::string path = parent.child_path(name);
  const std::string where = parent.file_name + ": " + path;
  const htri_t exists = H5Lexists(parent.id, name.c_str(), H5P_DEFAULT);
  if (exists < 0) fail_reading(where, "cannot look up the dataset");
  if (exists == 0) throw InputError(where + ": dataset is missing");
  const hid_t id = H5Dopen2(parent.id, name.c_str(), H5P_DEFAULT);
  if (id < 0) throw InputError(where + ": is not a dataset");
  return Dataset(id, parent.file_name, path);
}

std::size_t vector_length(const Dataset& dataset) {
  const std::vector<hsize_t> shape = dataset_shape(dataset);
  if (shape.size() != 1) {
    throw InputError(object_where(dataset) + ": has shape " + (shape.empty() ? "scalar" : shape_text(shape)) +
                     "; expected a 1-D array");
  }
  if (shape[0] > 0) require_rows_stored(dataset, shape[0]);
  return static_cast<std::size_t>(shape[0]);
}

std::vector<double> read_float64_vector(const Dataset& dataset) {
  const std::size_t length = vector_length(dataset);
  const Datatype type = dataset_type(dataset);
  require_class(type.get(), H5T_FLOAT, object_where(dataset), "floating point (float64)");
  std::vector<double> values(length);
  if (length > 0) read_numbers(dataset, H5T_NATIVE_DOUBLE, values.data(), "float64");
  return values;
}

std::vector<std::int64_t> read_int64_vector(const Dataset& dataset) {
  const std::size_t length = vector_length(dataset);
  const Datatype type = dataset_type(dataset);
  require_class(type.get(), H5T_INTEGER, object_where(dataset), "an integer type");
  std::vector<std::int64_t> values(length);
  if (length > 0) read_numbers(dataset, H5T_NATIVE_INT64, values.data(), "int64");
  return values;
}

std::vector<std::string> read_string_vector(const Dataset& dataset) {
  const std::size_t length = vector_length(dataset);
  const Datatype type = dataset_type(dataset);
  const std::string where = object_where(dataset);
  require_class(type.get(), H5T_STRING, where, "strings");
  if (length == 0) return {};
  return read_strings(type.get(), length, where, [&](hid_t memory_type, void* buffer) {
    return H5Dread(dataset.id(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
  });
}

void write_string_attribute(const Location& object, const std::string& name, const std::string& value) {
  const std::string where = attribute_where(object, name);
  require_no_nul(value, where);
  const Datatype type = utf8_string_type(where);
  const Attribute attribute = create_attribute(object, name, type.get(), where);
  const char* text = value.c_str();
  if (H5Awrite(attribute.get(), type.get(), &text) < 0) fail(where, "cannot write the attribute");
}

void write_scalar_attribute(const Location& object, const std::string& name, hid_t file_type, hid_t memory_type,
                            const void* value) {
  const std::string where = attribute_where(object, name);
  const Attribute attribute = create_attribute(object, name, file_type, where);
  if (H5Awrite(attribute.get(), memory_type, value) < 0) fail(where, "cannot write the attribute");
}

void write_vector_attribute(const Location& object, const std::string& name, hid_t file_type, hid_t memory_type,
                            std::size_t element_count, const void* values) {
  const std::string where = attribute_where(object, name);
  const Attribute attribute = create_attribute(object, name, file_type, where, static_cast<hsize_t>(element_count));
  if (element_count > 0 && H5Awrite(attribute.get(), memory_type, values) < 0) {
    fail(where, "cannot write the attribute");
  }
}

std::string read_string_attribute(const Location& object, const std::string& name) {
  const std::string where = attribute_where(object, name);
  const OpenedAttribute opened = open_scalar_attribute(object, name, H5T_STRING, "a string", where);
  return read_strings(opened.type.get(), 1, where, [&](hid_t memory_type, void* buffer) {
    return H5Aread(opened.attribute.get(), memory_type, buffer);
  })[0];
}

std::int64_t read_int64_attribute(const Location& object, const std::string& name) {
  const std::string where = attribute_where(object, name);
  const OpenedAttribute opened = open_scalar_attribute(object, name, H5T_INTEGER, "an integer", where);
  std::int64_t value = 0;
  if (H5Aread(opened.attribute.get(), H5T_NATIVE_INT64, &value) < 0) fail_reading(where, "cannot read the attribute");
  return value;
}

void make_dimension_scale(const Dataset& scale, const std::string& dimension_name) {
  if (H5DSset_scale(scale.id(), dimension_name.c_str()) < 0) {
    fail(object_where(scale), "cannot make it the dimension scale '" + dimension_name + "'");
  }
}

void attach_dimension_scale(const Dataset& dataset, const Dataset& scale, unsigned dimension) {
  if (H5DSattach_scale(dataset.id(), scale.id(), dimension) < 0) {
    fail(object_where(dataset),
         "cannot attach the dimension scale " + scale.path() + " to dimension " + std::to_string(dimension));
  }
}

void set_dimension_label(const Dataset& dataset, unsigned dimension, const std::string& label) {
  if (H5DSset_label(dataset.id(), dimension, label.c_str()) < 0) {
    fail(object_where(dataset), "cannot label dimension " + std::to_string(dimension) + " '" + label + "'");
  }
}

}  // namespace margin_stress::hdf5
