#include <stdexcept>

#include "host/engine/cpu/cpu_engine.hpp"
#include "host/engine/engine.hpp"
#include "kernels/cuda_engine.hpp"

namespace margin_stress {

#ifndef MARGIN_STRESS_HAVE_CUDA
int cuda_device_count() { return 0; }
#endif

std::unique_ptr<Engine> make_engine(const EngineOptions& options) {
  switch (options.backend) {
    case Backend::cpu:
      return make_cpu_engine(options.threads);
    case Backend::cuda:
#ifndef MARGIN_STRESS_HAVE_CUDA
      throw std::runtime_error(
          "this build has no CUDA backend (configure with a CUDA compiler and -DMARGIN_STRESS_ENABLE_CUDA=ON)");
#else
      if (cuda_device_count() == 0)
        throw std::runtime_error("--backend cuda: no CUDA device is visible on this machine");
      return make_cuda_engine(options.device, options.max_scenarios_in_flight);
#endif
    case Backend::automatic:
      break;
  }
#ifdef MARGIN_STRESS_HAVE_CUDA
  if (cuda_device_count() > 0) return make_cuda_engine(options.device, options.max_scenarios_in_flight);
#endif
  return make_cpu_engine(options.threads);
}

}  // namespace margin_stress
