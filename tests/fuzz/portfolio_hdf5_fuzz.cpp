// libFuzzer target: a portfolio file (docs/results.md, "Portfolio files"), HDF5 bytes as
// `run --portfolio` reads them, then checked against the built-in default's markets. Documented
// failures are InputError and, for a file HDF5 itself cannot read (a corrupt file), the
// std::runtime_error of host/io/hdf5_handles.hpp; anything else escaping, a crash, a hang, a leak
// or undefined behaviour is a finding. HDF5 1.10 itself (not instrumented, so unseen by libFuzzer's
// coverage) crashes, leaks or hangs on such files within seconds, so scripts/fuzz runs this target
// only when named; portfolio_fuzz covers our reader.
#include <cstdint>
#include <stdexcept>

#include "host/io/config_file.hpp"
#include "host/io/portfolio_file.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace margin_stress;
  static const ModelConfig config = default_config();
  static fuzz::FuzzInputFile file("book.h5");
  const std::string& path = file.write(data, size);
  try {
    Portfolio portfolio = read_portfolio_file(path);
    validate_portfolio(portfolio, config.markets, path);
  } catch (const std::runtime_error&) {  // InputError is one
  }
  return 0;
}
