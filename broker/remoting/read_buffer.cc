#include "broker/remoting/read_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>

namespace rmq::remoting {
namespace {

std::size_t page_round(std::size_t size_bytes) {
  static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (size_bytes + page - 1) / page * page;
}

std::uint8_t* allocate(std::size_t size_bytes, bool mapped) {
  if (mapped) {
    void* region = ::mmap(nullptr, size_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) throw std::bad_alloc();
    return static_cast<std::uint8_t*>(region);
  }
  void* block = std::malloc(size_bytes == 0 ? 1 : size_bytes);
  if (block == nullptr) throw std::bad_alloc();
  return static_cast<std::uint8_t*>(block);
}

void deallocate(std::uint8_t* data, std::size_t size_bytes, bool mapped) {
  if (data == nullptr) return;
  if (mapped) {
    [[maybe_unused]] const int rc = ::munmap(data, size_bytes);
    assert(rc == 0);
  } else {
    std::free(data);
  }
}

}  // namespace

ReadBuffer::ReadBuffer(std::size_t size_bytes) { resize(size_bytes, 0); }

ReadBuffer::~ReadBuffer() { release(); }

void ReadBuffer::release() {
  deallocate(data_, size_, mapped(size_));
  data_ = nullptr;
  size_ = 0;
}

void ReadBuffer::resize(std::size_t size_bytes, std::size_t keep_bytes) {
  assert(keep_bytes <= size_ && keep_bytes <= size_bytes);
  const bool new_mapped = mapped(size_bytes);
  const std::size_t new_size = new_mapped ? page_round(size_bytes) : size_bytes;
  if (new_size == size_ && data_ != nullptr) return;
  if (new_mapped && data_ != nullptr && mapped(size_)) {
    // Both mapped: the kernel moves the pages, or unmaps the tail when shrinking.
    void* region = ::mremap(data_, size_, new_size, MREMAP_MAYMOVE);
    if (region == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<std::uint8_t*>(region);
    size_ = new_size;
    return;
  }
  std::uint8_t* fresh = allocate(new_size, new_mapped);
  if (keep_bytes > 0) std::memcpy(fresh, data_, keep_bytes);
  deallocate(data_, size_, mapped(size_));
  data_ = fresh;
  size_ = new_size;
}

}  // namespace rmq::remoting
