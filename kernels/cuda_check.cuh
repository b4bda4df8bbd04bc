// The one CUDA error path: every runtime call goes through MARGIN_STRESS_CUDA_CHECK, which clears
// the error and throws with the call, the error's name and message, file:line and what was being
// attempted. Library code never exits or aborts on a CUDA error.
#pragma once

#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace margin_stress::cuda {

class CudaError : public std::runtime_error {
 public:
  CudaError(cudaError_t code, const std::string& message) : std::runtime_error(message), code_(code) {}
  cudaError_t code() const { return code_; }

 private:
  cudaError_t code_;
};

inline void check(cudaError_t status, const char* call, const char* file, int line, const char* attempting) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clear a recoverable error so the next call does not see it
  throw CudaError(status, std::string("CUDA error while ") + attempting + ": " + call + " returned " +
                              cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ") at " + file + ":" +
                              std::to_string(line));
}

}  // namespace margin_stress::cuda

#define MARGIN_STRESS_CUDA_CHECK(call, attempting) \
  ::margin_stress::cuda::check((call), #call, __FILE__, __LINE__, attempting)
