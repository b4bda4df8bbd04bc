// The CUDA backend (docs/model.md, "The CUDA engine"). Declared for every build; defined only
// where CUDA is built (MARGIN_STRESS_HAVE_CUDA), and make_engine reaches it only there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "host/engine/engine.hpp"

namespace margin_stress {

// `max_scenarios_in_flight` caps the scenarios resident on the device at once (0: as many as its
// free memory holds); a batch beyond it runs in chunks.
std::unique_ptr<Engine> make_cuda_engine(int device, std::int64_t max_scenarios_in_flight);

struct CudaDeviceInfo {
  std::string name;
  int multiprocessors = 0;
  std::size_t total_memory_bytes = 0;
  // 2 x memory clock x bus width: the DRAM peak the bandwidth figures are compared with.
  double peak_bandwidth_bytes_per_second = 0.0;
};
CudaDeviceInfo cuda_device_info(int device);

}  // namespace margin_stress
