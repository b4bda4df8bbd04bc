// Device detection shared by `--backend auto`, the GPU test fixture and the GPU check script.
#include "host/engine/engine.hpp"
#include "kernels/cuda_check.cuh"

namespace margin_stress {

int cuda_device_count() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  // No device and no (or too old a) driver both mean: nothing to run on. CI machines have nvcc
  // and no driver.
  if (status == cudaErrorNoDevice || status == cudaErrorInsufficientDriver) {
    cudaGetLastError();
    return 0;
  }
  MARGIN_STRESS_CUDA_CHECK(status, "counting CUDA devices");
  return count;
}

}  // namespace margin_stress
