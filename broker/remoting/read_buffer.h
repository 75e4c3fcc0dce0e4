// The bytes a connection has received but not yet decoded: a resizable region whose memory goes back to the
// operating system as soon as it shrinks or is destroyed.
//
// Why not std::vector: a connection's buffer grows with the frame it is receiving (up to 16 MiB) and shrinks
// when the frame is done. With glibc, a freed block of that size is often kept by malloc for reuse (its mmap
// threshold rises to the largest block freed, and heap memory is only returned from the top), so a flood of
// big frames left the process holding gigabytes after the connections had closed (issue 9). Here a region of
// kMmapFromBytes or more is an anonymous mapping of its own: it grows with mremap (no copy, and pages not yet
// written cost no memory), and shrinking or freeing it unmaps the pages at once. Smaller regions use malloc,
// where reuse is what we want. Nothing survives a crash.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rmq::remoting {

class ReadBuffer {
 public:
  static constexpr std::size_t kMmapFromBytes = 128 * 1024;

  explicit ReadBuffer(std::size_t size_bytes);
  ~ReadBuffer();
  ReadBuffer(const ReadBuffer&) = delete;
  ReadBuffer& operator=(const ReadBuffer&) = delete;

  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  // The usable size, at least what was asked for (mapped regions are rounded up to whole pages).
  std::size_t size() const { return size_; }

  // Makes the region at least `size_bytes` long (or shorter), keeping its first `keep_bytes` bytes
  // (keep_bytes <= both sizes). Throws std::bad_alloc when the memory cannot be had; the buffer is then
  // unchanged.
  void resize(std::size_t size_bytes, std::size_t keep_bytes);
  // Frees everything; size() is 0 afterwards.
  void release();

 private:
  static bool mapped(std::size_t size_bytes) { return size_bytes >= kMmapFromBytes; }

  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace rmq::remoting
