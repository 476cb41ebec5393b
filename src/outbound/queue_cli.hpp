// `taube queue list|show|retry|hold|release|delete`: the text the command prints.
// Pure formatting over store::QueueEntry (main.cpp runs the store operations).
#pragma once

#include <string>
#include <vector>

#include "store/queue.hpp"

namespace taube::outbound {

// One line per entry under a header; "queue is empty" when there is none.
std::string format_queue_list(const std::vector<store::QueueEntry>& entries, store::UnixTime now);
// Every field and every recipient with its state and last reply.
std::string format_queue_entry(const store::QueueEntry& e, store::UnixTime now);
// "2026-11-26 23:40:00Z (in 4m)" style.
std::string format_time(store::UnixTime t, store::UnixTime now);

}  // namespace taube::outbound
