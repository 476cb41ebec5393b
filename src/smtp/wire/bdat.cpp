#include "smtp/wire/bdat.hpp"

#include <algorithm>
#include <utility>

namespace taube::smtp::wire {

BdatReceiver::BdatReceiver(const Limits& limits, Sink sink)
    : limits_(limits), sink_(std::move(sink)) {
  limits_.sink_chunk_bytes = std::max<std::size_t>(limits_.sink_chunk_bytes, 1);
  chunk_.reserve(limits_.sink_chunk_bytes);
}

void BdatReceiver::start_chunk(std::uint64_t size, bool last) {
  remaining_ = size;
  last_ = last;
  if (size == 0) flush();
}

void BdatReceiver::flush() {
  if (chunk_.empty()) return;
  sink_(chunk_);
  chunk_.clear();
}

BdatStep BdatReceiver::feed(std::string_view input) {
  BdatStep step;
  const std::size_t take =
      static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
  input = input.substr(0, take);
  remaining_ -= take;
  step.consumed = take;

  // How much of this input still fits under the message limit.
  const std::uint64_t room =
      message_bytes_ >= limits_.max_message_bytes ? 0 : limits_.max_message_bytes - message_bytes_;
  message_bytes_ += take;
  if (take > room) too_large_ = true;
  std::string_view keep =
      input.substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(room, take)));
  while (!keep.empty()) {
    const std::size_t n = std::min(keep.size(), limits_.sink_chunk_bytes - chunk_.size());
    chunk_.append(keep.substr(0, n));
    keep.remove_prefix(n);
    if (chunk_.size() >= limits_.sink_chunk_bytes) flush();
  }
  step.chunk_done = remaining_ == 0;
  if (step.chunk_done) flush();
  return step;
}

}  // namespace taube::smtp::wire
