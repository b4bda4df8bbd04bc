// Marks a function both backends compile: the CPU reference as plain C++, the CUDA engine's
// kernels as device code. Such functions use only what nvcc allows on the device (no exceptions,
// no allocation, the C math library through ::) and are unit-tested on the host.
#pragma once

#if defined(__CUDACC__)
#define MARGIN_STRESS_HOST_DEVICE __host__ __device__
#else
#define MARGIN_STRESS_HOST_DEVICE
#endif
