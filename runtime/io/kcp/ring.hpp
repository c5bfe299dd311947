// A fixed-capacity FIFO over one preallocated array: the queues and windows
// of the KCP control block. No allocation after construction.
#pragma once

#include <cassert>
#include <cstddef>
#include <utility>
#include <vector>

namespace skywire::io::kcp {

template <class T>
class ring {
public:
  explicit ring(size_t capacity = 0) : buf_(capacity) {}

  size_t size() const noexcept { return size_; }
  size_t capacity() const noexcept { return buf_.size(); }
  bool empty() const noexcept { return size_ == 0; }
  bool full() const noexcept { return size_ == buf_.size(); }

  /// The i-th element from the front (i < size(), or < capacity() for a
  /// ring used as a window).
  T& operator[](size_t i) noexcept { return buf_[index(i)]; }
  const T& operator[](size_t i) const noexcept { return buf_[index(i)]; }

  T& front() noexcept { return (*this)[0]; }
  const T& front() const noexcept { return (*this)[0]; }
  T& back() noexcept { return (*this)[size_ - 1]; }
  const T& back() const noexcept { return (*this)[size_ - 1]; }

  /// Appends; the caller checked full().
  void push_back(T v) noexcept {
    assert(!full());
    buf_[index(size_)] = std::move(v);
    ++size_;
  }

  /// Drops the front element; the caller checked empty().
  void pop_front() noexcept {
    assert(!empty());
    buf_[head_] = T{};
    head_ = head_ + 1 == buf_.size() ? 0 : head_ + 1;
    --size_;
  }

  /// Window use: the element at offset 0 leaves and offset capacity()-1
  /// becomes a fresh T{} (the size is not used).
  void rotate() noexcept {
    buf_[head_] = T{};
    head_ = head_ + 1 == buf_.size() ? 0 : head_ + 1;
  }

private:
  size_t index(size_t i) const noexcept {
    size_t j = head_ + i;
    return j >= buf_.size() ? j - buf_.size() : j;
  }

  std::vector<T> buf_;
  size_t head_ = 0;
  size_t size_ = 0;
};

} // namespace skywire::io::kcp
