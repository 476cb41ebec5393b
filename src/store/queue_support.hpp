// Rules of the outbound queue and of idempotent delivery that every engine
// applies the same way: grouping recipients by destination domain, and the
// text form in which the per-target results of a delivery are kept under its
// idempotency key. Pure; engines only.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "store/types.hpp"

namespace taube::store {

// Committed idempotency keys are kept this long (a spool replay or a client
// retry after an unknown COMMIT outcome comes much sooner).
inline constexpr std::chrono::seconds kIdempotencyKeep = std::chrono::hours(24 * 7);

struct DomainGroup {
  std::string domain;  // lower case
  std::vector<OutboundRecipient> recipients;
};

// One group per destination domain in order of first appearance; a recipient
// listed twice (same address, ASCII case-insensitive) is kept once.
// kInvalidArgument when a recipient is not an address or there is none.
Result<std::vector<DomainGroup>> group_by_domain(const Outbound& outbound);

// The per-target results of a delivery as one text column and back.
std::string encode_results(const std::vector<Result<Delivered>>& results);
std::optional<std::vector<Result<Delivered>>> decode_results(const std::string& text);

}  // namespace taube::store
