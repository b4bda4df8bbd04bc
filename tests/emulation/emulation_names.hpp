// Included first by every translation unit of the host emulation (tests/CMakeLists.txt force-includes it) of the CUDA
// engine: the engine's code compiles under other names, so that the emulation can link beside the real CUDA engine of a
// CUDA build without a clash, and it sees one emulated device.
#pragma once

#define cuda cuda_emulated
#define make_cuda_engine make_emulated_cuda_engine
#define cuda_device_info emulated_cuda_device_info
#define cuda_device_count emulated_cuda_device_count
