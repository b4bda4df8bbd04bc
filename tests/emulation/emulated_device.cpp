// The one emulated device the host emulation of the CUDA engine sees (the stand-in runtime,
// cuda_runtime_api.h here, answers the rest).
#include "host/engine/engine.hpp"

namespace margin_stress {

int cuda_device_count() { return 1; }

}  // namespace margin_stress
