// Lock-free hand-offs between the control side (one thread at a time) and the
// audio thread. The audio thread never allocates or frees: it takes new
// objects from a Mailbox and gives used ones back through a ReturnQueue, and
// the control side frees them.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>

namespace pedal::engine {

// Holds at most one object in transit from the control side to the audio
// thread. Posting over an object the audio thread has not taken yet returns
// that object to the poster (who frees it): the newest wins.
template <typename T>
class Mailbox {
public:
    // Control side. Returns the object it displaced, or nullptr.
    T *post(T *item) { return slot_.exchange(item, std::memory_order_acq_rel); }
    // Audio thread. Wait-free.
    T *take() { return slot_.exchange(nullptr, std::memory_order_acq_rel); }
    // Control side, at destruction.
    T *drain() { return take(); }

private:
    std::atomic<T *> slot_{nullptr};
};

// Single-producer (audio thread) single-consumer (control side) ring of
// objects to free. Fixed capacity: when full, push() fails and the audio
// thread keeps the object and tries again on a later block.
template <typename T, std::size_t Capacity>
class ReturnQueue {
public:
    bool push(T *item) {
        const std::size_t head = head_.load(std::memory_order_relaxed);
        const std::size_t next = (head + 1) % (Capacity + 1);
        if (next == tail_.load(std::memory_order_acquire)) return false;
        items_[head] = item;
        head_.store(next, std::memory_order_release);
        return true;
    }

    T *pop() {
        const std::size_t tail = tail_.load(std::memory_order_relaxed);
        if (tail == head_.load(std::memory_order_acquire)) return nullptr;
        T *item = items_[tail];
        tail_.store((tail + 1) % (Capacity + 1), std::memory_order_release);
        return item;
    }

private:
    std::array<T *, Capacity + 1> items_{};
    std::atomic<std::size_t> head_{0}, tail_{0};
};

}  // namespace pedal::engine
