# The CUDA engine's sources: one .cu per operation, under the CPU reference's file stems, and the
# engine that runs them (lane.cu, cuda_engine.cu). kernels/CMakeLists.txt compiles them with nvcc;
# tests/CMakeLists.txt compiles the same files as C++ for the host emulation.
set(MARGIN_STRESS_CUDA_ENGINE_SOURCES
  auto_deleveraging.cu
  cascade.cu
  cuda_engine.cu
  lane.cu
  settlement.cu
  step_totals.cu
  trader_response.cu)
