// The CUDA engine on a GPU against the CPU reference; every test skips without a CUDA device.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "host/engine/engine.hpp"
#include "tests/gpu/cuda_engine_cases.hpp"

namespace margin_stress {
namespace {

bool cuda_engine_available() { return cuda_device_count() > 0; }

std::unique_ptr<Engine> make_candidate_engine(std::int64_t max_in_flight) {
  EngineOptions options;
  options.backend = Backend::cuda;
  options.max_scenarios_in_flight = max_in_flight;
  return make_engine(options);
}

TEST_F(CudaEngine, AutoPicksTheDevice) { EXPECT_EQ(make_engine(EngineOptions{})->name().rfind("cuda", 0), 0u); }

}  // namespace
}  // namespace margin_stress
