// The CUDA backend (docs/model.md, "The CUDA engine"). Declared for every build; defined only
// where CUDA is built (MARGIN_STRESS_HAVE_CUDA), and make_engine reaches it only there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "host/engine/engine.hpp"

namespace margin_stress {

// Where a CUDA run's time went (margin-stress-bench --profile): per phase of a step, the seconds
// the lanes' host threads spent in it, their own work and their waits for the device together;
// and per kind of wait, the seconds they spent waiting for their stream (the device runs both
// lanes' kernels, so a wait includes the other lane's work queued before it). Summed over lanes.
struct CudaRunProfile {
  std::map<std::string, double> phase_seconds;
  std::map<std::string, double> wait_seconds;
};

// `max_scenarios_in_flight` caps the scenarios resident on the device at once (0: as many as its
// free memory holds); a batch beyond it runs in chunks. A run adds its times to `profile` if given.
std::unique_ptr<Engine> make_cuda_engine(int device, std::int64_t max_scenarios_in_flight,
                                         CudaRunProfile* profile = nullptr);

struct CudaDeviceInfo {
  std::string name;
  int multiprocessors = 0;
  std::size_t total_memory_bytes = 0;
  // 2 x memory clock x bus width: the DRAM peak the bandwidth figures are compared with.
  double peak_bandwidth_bytes_per_second = 0.0;
};
CudaDeviceInfo cuda_device_info(int device);

}  // namespace margin_stress
