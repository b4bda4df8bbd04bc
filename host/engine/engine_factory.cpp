#include <stdexcept>

#include "host/engine/cpu/cpu_engine.hpp"
#include "host/engine/engine.hpp"

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
      throw std::runtime_error("this build has no CUDA backend (configure with a CUDA compiler and -DMARGIN_STRESS_ENABLE_CUDA=ON)");
#else
      if (cuda_device_count() == 0) throw std::runtime_error("--backend cuda: no CUDA device is visible on this machine");
      throw std::runtime_error("--backend cuda: the CUDA engine is not implemented yet (issue: CUDA engine); use --backend cpu");
#endif
    case Backend::automatic:
      break;
  }
  // The CUDA engine arrives with its own issue; until then auto always means the CPU reference.
  return make_cpu_engine(options.threads);
}

}  // namespace margin_stress
