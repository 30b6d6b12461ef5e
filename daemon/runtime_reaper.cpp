#include "daemon/runtime_reaper.hpp"

#include <spdlog/spdlog.h>

namespace qw::daemon {

RuntimeReaper::RuntimeReaper() : thread_([this] { loop(); }) {}

RuntimeReaper::~RuntimeReaper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void RuntimeReaper::retire(std::unique_ptr<Runtime> runtime) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(runtime));
    ++pending_;
  }
  changed_.notify_all();
}

bool RuntimeReaper::wait_until(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadline, [this] { return pending_ == 0; });
}

std::size_t RuntimeReaper::pending() const {
  std::lock_guard lock(mutex_);
  return pending_;
}

void RuntimeReaper::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    auto runtime = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    runtime->join();
    runtime.reset();
    const auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);
    if (took > std::chrono::seconds(1))
      spdlog::info("reload: the previous configuration's last probe returned after {:.1f}s",
                   took.count());
    lock.lock();
    --pending_;
    changed_.notify_all();
  }
}

}  // namespace qw::daemon
