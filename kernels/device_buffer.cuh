// Owning handles for device and pinned host memory: freed on scope exit, every allocation
// checked, and an allocation failure reported as cuda::CudaError with cudaErrorMemoryAllocation,
// which the engine catches to retry with fewer scenarios in flight.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>

#include "kernels/cuda_check.cuh"

namespace margin_stress::cuda {

template <typename T>
class DeviceBuffer {
 public:
  using value_type = T;
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) { resize(count); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept { swap(other); }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    swap(other);
    return *this;
  }
  ~DeviceBuffer() {
    if (data_ != nullptr) cudaFree(data_);
  }

  // Discards the contents; allocates only when growing.
  void resize(std::size_t count) {
    if (count <= capacity_) {
      count_ = count;
      return;
    }
    if (data_ != nullptr) cudaFree(data_);
    data_ = nullptr;
    capacity_ = count_ = 0;
    void* memory = nullptr;
    MARGIN_STRESS_CUDA_CHECK(cudaMalloc(&memory, count * sizeof(T)), "allocating device memory");
    data_ = static_cast<T*>(memory);
    capacity_ = count_ = count;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }

 private:
  void swap(DeviceBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(count_, other.count_);
    std::swap(capacity_, other.capacity_);
  }
  T* data_ = nullptr;
  std::size_t count_ = 0;
  std::size_t capacity_ = 0;
};

// Page-locked host memory, so that copies on a stream are asynchronous and run at full bus speed.
template <typename T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  ~PinnedBuffer() {
    if (data_ != nullptr) cudaFreeHost(data_);
  }

  void resize(std::size_t count) {
    if (count <= capacity_) {
      count_ = count;
      return;
    }
    if (data_ != nullptr) cudaFreeHost(data_);
    data_ = nullptr;
    capacity_ = count_ = 0;
    void* memory = nullptr;
    MARGIN_STRESS_CUDA_CHECK(cudaMallocHost(&memory, count * sizeof(T)), "allocating pinned host memory");
    data_ = static_cast<T*>(memory);
    capacity_ = count_ = count;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  std::size_t size() const { return count_; }

 private:
  T* data_ = nullptr;
  std::size_t count_ = 0;
  std::size_t capacity_ = 0;
};

// A stream owned for the duration of a run.
class Stream {
 public:
  Stream() {
    MARGIN_STRESS_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "creating a stream");
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() { cudaStreamDestroy(stream_); }
  cudaStream_t get() const { return stream_; }
  void synchronize(const char* attempting) const {
    MARGIN_STRESS_CUDA_CHECK(cudaStreamSynchronize(stream_), attempting);
  }

 private:
  cudaStream_t stream_ = nullptr;
};

}  // namespace margin_stress::cuda
