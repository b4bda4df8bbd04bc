// libFuzzer target: a portfolio file (docs/results.md, "Portfolio files") as `run --portfolio`
// reads it, made from the fuzz input: which groups, datasets and root attributes exist, their
// shapes, their HDF5 types (what h5py writes from numpy: integers of every width and sign, float32
// and float64 in either byte order, variable- and fixed-length strings, bool as an enum), their
// storage layouts and their values. HDF5 writes the file, so it is always well-formed HDF5 and the
// code under test is ours: read_portfolio_file, then validate_portfolio against the built-in
// default's markets. The documented failure is InputError; anything else escaping (the
// std::runtime_error of host/io/hdf5_handles.hpp included: HDF5 failing on a well-formed file), a
// crash, a hang, a leak, undefined behaviour, or an InputError for a valid book is a finding.
// portfolio_hdf5_fuzz mutates a file's bytes instead.
#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "host/io/config_file.hpp"
#include "host/io/hdf5_handles.hpp"
#include "host/io/portfolio_file.hpp"
#include "host/model/input_error.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"

namespace {

using margin_stress::hdf5::Attribute;
using margin_stress::hdf5::Dataspace;
using margin_stress::hdf5::Datatype;
using margin_stress::hdf5::Handle;
using margin_stress::hdf5::PropertyList;

// The element types a dataset or attribute is written with.
enum class Element : std::uint8_t {
  int8,
  uint8,
  int16,
  uint16,
  int32,
  uint32,
  int64,
  uint64,
  float32,
  float64,
  variable_string,
  fixed_string,
  boolean_enum,
  kMaxValue = boolean_enum  // FuzzedDataProvider::ConsumeEnum's bound
};

// A failed HDF5 call while writing is the harness's fault, not a finding: stop with the reason.
hid_t check(hid_t result, const char* what) {
  if (result < 0) {
    std::fprintf(stderr, "portfolio_fuzz harness: %s failed\n", what);
    std::abort();
  }
  return result;
}

// The fuzz input, read as the choices that make the file, and whether any of them departed from
// the valid book (below). One that did not must be read without an error: a reader refusing a
// valid book is a finding too.
struct Input {
  FuzzedDataProvider provider;
  bool changed = false;
};

struct Type {
  Datatype file;    // as stored
  Datatype memory;  // as the values are laid out in `bytes`
  std::size_t size = 0;
  bool is_string = false;
  bool is_variable = false;
};

hid_t numeric_type(Element element) {
  switch (element) {
    case Element::int8:
      return H5T_NATIVE_INT8;
    case Element::uint8:
      return H5T_NATIVE_UINT8;
    case Element::int16:
      return H5T_NATIVE_INT16;
    case Element::uint16:
      return H5T_NATIVE_UINT16;
    case Element::int32:
      return H5T_NATIVE_INT32;
    case Element::uint32:
      return H5T_NATIVE_UINT32;
    case Element::int64:
      return H5T_NATIVE_INT64;
    case Element::uint64:
      return H5T_NATIVE_UINT64;
    case Element::float32:
      return H5T_NATIVE_FLOAT;
    default:
      return H5T_NATIVE_DOUBLE;
  }
}

Type make_type(Element element, Input& input) {
  Type type;
  if (element == Element::variable_string || element == Element::fixed_string) {
    type.file = Datatype(check(H5Tcopy(H5T_C_S1), "H5Tcopy"));
    type.is_string = true;
    type.is_variable = element == Element::variable_string;
    type.size = type.is_variable ? sizeof(char*) : input.provider.ConsumeIntegralInRange<std::size_t>(1, 24);
    check(H5Tset_size(type.file.get(), type.is_variable ? H5T_VARIABLE : type.size), "H5Tset_size");
    check(H5Tset_cset(type.file.get(), input.provider.ConsumeBool() ? H5T_CSET_UTF8 : H5T_CSET_ASCII), "H5Tset_cset");
    if (!type.is_variable) {
      const H5T_str_t pads[] = {H5T_STR_NULLTERM, H5T_STR_NULLPAD, H5T_STR_SPACEPAD};
      check(H5Tset_strpad(type.file.get(), pads[input.provider.ConsumeIntegralInRange(0, 2)]), "H5Tset_strpad");
    }
    type.memory = Datatype(check(H5Tcopy(type.file.get()), "H5Tcopy"));
    return type;
  }
  if (element == Element::boolean_enum) {
    // h5py's bool: an 8-bit enum FALSE = 0, TRUE = 1.
    type.file = Datatype(check(H5Tenum_create(H5T_NATIVE_INT8), "H5Tenum_create"));
    const std::int8_t values[] = {0, 1};
    check(H5Tenum_insert(type.file.get(), "FALSE", &values[0]), "H5Tenum_insert");
    check(H5Tenum_insert(type.file.get(), "TRUE", &values[1]), "H5Tenum_insert");
    type.memory = Datatype(check(H5Tcopy(type.file.get()), "H5Tcopy"));
    type.size = 1;
    return type;
  }
  type.memory = Datatype(check(H5Tcopy(numeric_type(element)), "H5Tcopy"));
  type.file = Datatype(check(H5Tcopy(numeric_type(element)), "H5Tcopy"));
  check(H5Tset_order(type.file.get(), input.provider.ConsumeBool() ? H5T_ORDER_BE : H5T_ORDER_LE), "H5Tset_order");
  type.size = H5Tget_size(type.memory.get());
  return type;
}

// The book an input describes when each of its choices takes the usual option (every choice of
// the empty input does): `accounts` accounts, account a holding market a % 4 of the default's and,
// when a is odd, market (a + 1) % 4. Every input is this valid book with some parts changed, so
// the fuzzer reaches the checks past the first ones without a seed corpus.
struct Book {
  std::size_t accounts = 3;
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int64_t> markets;
  explicit Book(std::size_t account_count) : accounts(account_count) {
    for (std::size_t a = 0; a < accounts; ++a) {
      markets.push_back(static_cast<std::int64_t>(a % 4));
      if (a % 2 == 1) markets.push_back(static_cast<std::int64_t>((a + 1) % 4));
      offsets.push_back(static_cast<std::int64_t>(markets.size()));
    }
  }
};

const char* const market_names[] = {"BTC", "ETH", "SOL", "DOGE"};

// What one dataset holds when nothing is changed: its usual element type, length and values.
struct DatasetSpec {
  const char* name;
  Element usual;
  std::size_t length;
  std::function<double(std::size_t)> value;  // row (< length) to number; strings are market_names
};

// `count` values of `type` in its memory layout, and the strings variable-length ones point to.
struct Values {
  std::vector<unsigned char> bytes;
  std::vector<std::string> strings;
  std::vector<const char*> pointers;
  const void* data() const { return pointers.empty() ? static_cast<const void*>(bytes.data()) : pointers.data(); }
};

// `value` stored as one element of `type` at `at` (integers wrap to the type's width, floats that a
// float cannot hold become infinite rather than undefined behaviour).
void store_number(double value, const Type& type, unsigned char* at) {
  if (H5Tget_class(type.memory.get()) == H5T_FLOAT) {
    if (type.size == sizeof(double)) {
      std::memcpy(at, &value, sizeof value);
      return;
    }
    constexpr float infinity = std::numeric_limits<float>::infinity();
    const float narrow = std::isnan(value) || std::fabs(value) <= std::numeric_limits<float>::max()
                             ? static_cast<float>(value)
                             : (value > 0 ? infinity : -infinity);
    std::memcpy(at, &narrow, sizeof narrow);
    return;
  }
  const std::int64_t whole = std::isfinite(value) && std::fabs(value) < 9e18 ? static_cast<std::int64_t>(value) : 0;
  std::memcpy(at, &whole, type.size);  // little-endian: the low bytes
}

std::string consume_string(Input& input) {
  // A default market name most of the time: validate_portfolio looks names up by hash, which
  // coverage alone would seldom lead the fuzzer to.
  const std::size_t pick = input.provider.ConsumeIntegralInRange<std::size_t>(0, 5);
  return pick < 4 ? market_names[pick] : input.provider.ConsumeRandomLengthString(16);
}

Values consume_values(const DatasetSpec& spec, const Type& type, std::size_t count, Input& input) {
  // 0: the valid values; 1: those with one element replaced; 2: small non-negative values, or
  // running sums of them (offsets and indices that make sense); 3: arbitrary bits or strings.
  const int style = input.provider.ConsumeIntegralInRange(0, 3);
  if (style != 0) input.changed = true;
  const std::size_t replaced = style == 1 ? input.provider.ConsumeIntegralInRange<std::size_t>(0, count - 1) : count;
  Values values;
  values.bytes.assign(type.is_variable ? 0 : count * type.size, 0);
  double running = 0.0;
  for (std::size_t i = 0; i < count; ++i) {
    const bool arbitrary = style == 3 || i == replaced;
    if (type.is_string) {
      std::string text = arbitrary ? consume_string(input) : market_names[i % 4];
      if (type.is_variable) {
        values.strings.push_back(std::move(text));
      } else {
        std::memcpy(values.bytes.data() + i * type.size, text.data(), std::min(text.size(), type.size));
      }
      continue;
    }
    unsigned char* at = values.bytes.data() + i * type.size;
    if (arbitrary) {
      for (std::size_t b = 0; b < type.size; ++b) at[b] = input.provider.ConsumeIntegral<unsigned char>();
    } else if (style == 2) {
      const auto small = static_cast<double>(input.provider.ConsumeIntegralInRange(0, 7));
      running = input.provider.ConsumeBool() ? running + small : small;
      store_number(running, type, at);
    } else {
      // Rows beyond the valid length (a shape that was changed) repeat the valid values.
      store_number(spec.value && spec.length > 0 ? spec.value(i % spec.length) : 0.0, type, at);
    }
  }
  for (const std::string& text : values.strings) values.pointers.push_back(text.c_str());
  return values;
}

struct Shape {
  std::vector<hsize_t> dims;  // none: a scalar
  bool written = true;
  std::size_t count() const {
    std::size_t n = 1;
    for (const hsize_t d : dims) n *= static_cast<std::size_t>(d);
    return n;
  }
};

// Usually 1-D of the valid length; else another length, a scalar or 2-D, or a length far beyond
// the file (never written: HDF5 reads the fill value), which the reader must not allocate blindly.
Shape consume_shape(std::size_t length, Input& input) {
  Shape shape;
  switch (input.provider.ConsumeIntegralInRange(0, 15)) {
    case 13:
      input.changed = true;
      shape.dims = {input.provider.ConsumeIntegralInRange<hsize_t>(0, 12)};
      break;
    case 14:
      input.changed = true;
      if (input.provider.ConsumeBool()) {
        shape.dims = {input.provider.ConsumeIntegralInRange<hsize_t>(0, 4),
                      input.provider.ConsumeIntegralInRange<hsize_t>(0, 4)};
      }
      break;  // else a scalar
    case 15:
      input.changed = true;
      shape.dims = {hsize_t{1} << input.provider.ConsumeIntegralInRange(20, 40)};
      shape.written = false;
      break;
    default:
      shape.dims = {length};
  }
  return shape;
}

Dataspace make_space(const Shape& shape) {
  return Dataspace(check(shape.dims.empty()
                             ? H5Screate(H5S_SCALAR)
                             : H5Screate_simple(static_cast<int>(shape.dims.size()), shape.dims.data(), nullptr),
                         "H5Screate"));
}

Element consume_element(Element usual, Input& input) {
  const Element element =
      input.provider.ConsumeIntegralInRange(0, 3) < 3 ? usual : input.provider.ConsumeEnum<Element>();
  if (element != usual) input.changed = true;
  return element;
}

void write_dataset(hid_t parent, const DatasetSpec& spec, Input& input) {
  switch (input.provider.ConsumeIntegralInRange(0, 15)) {
    case 14:
      input.changed = true;
      return;   // missing
    case 15: {  // a group where the dataset should be
      input.changed = true;
      const Handle<H5Gclose> group(
          check(H5Gcreate2(parent, spec.name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "H5Gcreate2"));
      return;
    }
    default:
      break;
  }
  const Type type = make_type(consume_element(spec.usual, input), input);
  const Shape shape = consume_shape(spec.length, input);
  const Dataspace space = make_space(shape);
  // Stored as h5py may store it: contiguous (its default and our writer's), chunked and perhaps
  // deflated (compression=), compact, in an external raw file (here one of endless zeros), or
  // virtual (rows mapped from other files' datasets; here none, so all read the fill value).
  const PropertyList creation(check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate"));
  const int layout = input.provider.ConsumeIntegralInRange(0, 9);
  if (layout == 6 && !shape.dims.empty() && shape.count() > 0) {
    std::vector<hsize_t> chunk;
    for (const hsize_t d : shape.dims)
      chunk.push_back(std::min(d, input.provider.ConsumeIntegralInRange<hsize_t>(1, 4)));
    check(H5Pset_chunk(creation.get(), static_cast<int>(chunk.size()), chunk.data()), "H5Pset_chunk");
    if (input.provider.ConsumeBool()) check(H5Pset_deflate(creation.get(), 4), "H5Pset_deflate");
  } else if (layout == 7 && shape.written) {
    check(H5Pset_layout(creation.get(), H5D_COMPACT), "H5Pset_layout");
  } else if (layout == 8 && !type.is_string) {
    input.changed = true;
    check(H5Pset_external(creation.get(), "/dev/zero", 0, H5F_UNLIMITED), "H5Pset_external");
  } else if (layout == 9) {
    input.changed = true;
    check(H5Pset_layout(creation.get(), H5D_VIRTUAL), "H5Pset_layout");
  }
  const Handle<H5Dclose> dataset(
      check(H5Dcreate2(parent, spec.name, type.file.get(), space.get(), H5P_DEFAULT, creation.get(), H5P_DEFAULT),
            "H5Dcreate2"));
  if (!shape.written || shape.count() == 0 || layout == 9) return;
  // Sometimes only the first rows are written: HDF5 reads the rest as the fill value.
  hsize_t rows = shape.count();
  if (shape.dims.size() == 1 && input.provider.ConsumeIntegralInRange(0, 7) == 7) {
    input.changed = true;
    rows = input.provider.ConsumeIntegralInRange<hsize_t>(0, rows - 1);
    if (rows == 0) return;
    const hsize_t start = 0;
    check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, &start, nullptr, &rows, nullptr), "H5Sselect_hyperslab");
  }
  const Dataspace memory_space(check(H5Screate_simple(1, &rows, nullptr), "H5Screate_simple"));
  const Values values = consume_values(spec, type, static_cast<std::size_t>(rows), input);
  check(H5Dwrite(dataset.get(), type.memory.get(), memory_space.get(), space.get(), H5P_DEFAULT, values.data()),
        "H5Dwrite");
}

// The root attributes: usually right, else missing, of another type, shape (H5S_NULL: no value at
// all) or value.
void write_format_attributes(hid_t file, Input& input) {
  const DatasetSpec attributes[] = {{"format", Element::variable_string, 1, nullptr},
                                    {"format_version", Element::int32, 1,
                                     [](std::size_t) { return double{margin_stress::portfolio_file_format_version}; }}};
  for (const DatasetSpec& spec : attributes) {
    const int choice = input.provider.ConsumeIntegralInRange(0, 7);
    if (choice >= 4) input.changed = true;
    if (choice == 7) continue;  // missing
    const Type type = make_type(consume_element(spec.usual, input), input);
    Shape shape;
    if (choice == 5) shape.dims = {input.provider.ConsumeIntegralInRange<hsize_t>(0, 3)};
    const Dataspace space(choice == 6 ? check(H5Screate(H5S_NULL), "H5Screate") : make_space(shape).release());
    const Attribute attribute(
        check(H5Acreate2(file, spec.name, type.file.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), "H5Acreate2"));
    if (choice == 6 || shape.count() == 0) continue;
    Values values;
    if (type.is_string && choice < 4) {
      // The format's own text, which is no market name.
      values.bytes.assign(type.is_variable ? 0 : type.size, 0);
      values.strings.emplace_back(margin_stress::portfolio_file_format);
      if (type.is_variable) {
        values.pointers.push_back(values.strings[0].c_str());
      } else {
        std::memcpy(values.bytes.data(), values.strings[0].data(), std::min(values.strings[0].size(), type.size));
      }
    } else {
      values = consume_values(spec, type, shape.count(), input);
    }
    check(H5Awrite(attribute.get(), type.memory.get(), values.data()), "H5Awrite");
  }
}

void write_portfolio(const std::string& path, Input& input) {
  const Book book((input.provider.ConsumeIntegralInRange<std::size_t>(0, 10) + 3) % 11);
  const std::size_t positions = book.markets.size();
  const Handle<H5Fclose> file(check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "H5Fcreate"));
  write_format_attributes(file.get(), input);
  const std::pair<const char*, std::vector<DatasetSpec>> groups[] = {
      {"markets", {{"name", Element::variable_string, 4, nullptr}}},
      {"accounts",
       {{"collateral_usd", Element::float64, book.accounts, [](std::size_t a) { return 10000.0 * double(a + 1); }},
        {"position_offset", Element::int64, book.accounts + 1,
         [&](std::size_t a) { return static_cast<double>(book.offsets[a]); }}}},
      {"positions",
       {{"market_index", Element::int32, positions,
         [&](std::size_t p) { return static_cast<double>(book.markets[p]); }},
        {"quantity_lots", Element::int64, positions, [](std::size_t p) { return p % 2 == 0 ? 3.0 : -2.0; }},
        {"entry_price_usd", Element::float64, positions, [](std::size_t p) { return 100.0 + double(p); }}}}};
  for (const auto& [group_name, datasets] : groups) {
    switch (input.provider.ConsumeIntegralInRange(0, 15)) {
      case 14:
        input.changed = true;
        continue;  // missing
      case 15: {   // a dataset where the group should be
        input.changed = true;
        const Dataspace space(check(H5Screate(H5S_SCALAR), "H5Screate"));
        const Handle<H5Dclose> dataset(
            check(H5Dcreate2(file.get(), group_name, H5T_STD_I32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                  "H5Dcreate2"));
        continue;
      }
      default:
        break;
    }
    const Handle<H5Gclose> group(
        check(H5Gcreate2(file.get(), group_name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "H5Gcreate2"));
    for (const DatasetSpec& dataset : datasets) write_dataset(group.get(), dataset, input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace margin_stress;
  static const ModelConfig config = default_config();
  static fuzz::FuzzInputFile file("book.h5");
  Input input{FuzzedDataProvider(data, size)};
  write_portfolio(file.path(), input);
  try {
    Portfolio portfolio = read_portfolio_file(file.path());
    validate_portfolio(portfolio, config.markets, "book.h5");
  } catch (const InputError& error) {
    if (!input.changed) {
      std::fprintf(stderr, "portfolio_fuzz: a valid book was refused: %s\n", error.what());
      std::abort();
    }
  }
  return 0;
}
