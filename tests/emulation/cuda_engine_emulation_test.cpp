// The CUDA engine's host emulation (the engine's own sources built with the host launcher, kernels/launch.hpp) against
// the CPU reference, with the same cases as the GPU tests: the engine's whole logic (tiles, rounds, settlement, ADL
// write-back, chunking) runs here one thread at a time, on machines without a GPU.

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "kernels/cuda_engine.hpp"
#include "tests/gpu/cuda_engine_cases.hpp"

namespace margin_stress {
namespace {

bool cuda_engine_available() { return true; }

std::unique_ptr<Engine> make_candidate_engine(std::int64_t max_in_flight) { return make_cuda_engine(0, max_in_flight); }

TEST_F(CudaEngine, EmulationIsNamedAsTheDevice) {
  EXPECT_EQ(make_candidate_engine(0)->name(), "cuda (host emulation, device 0)");
}

}  // namespace
}  // namespace margin_stress
