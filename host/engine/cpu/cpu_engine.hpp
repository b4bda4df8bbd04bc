// The CPU reference backend: scenarios in parallel over worker threads, each scenario run by the
// plain double-precision loops of host/engine/cpu/. Results do not depend on the thread count.
#pragma once

#include <memory>

#include "host/engine/engine.hpp"

namespace margin_stress {

std::unique_ptr<Engine> make_cpu_engine(int threads);

}  // namespace margin_stress
