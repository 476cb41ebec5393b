// COMPRESS=DEFLATE (RFC 4978): a net::Transport that wraps another one and
// runs raw DEFLATE (RFC 1951, no zlib header) in both directions, flushing
// every write with Z_SYNC_FLUSH so responses are never held back. Installed by
// the session after the tagged OK of COMPRESS; owns the inner transport. Used
// from the session's strand only. Costs zlib's state (~300 KiB) per
// connection, which is why it only exists once a client asks for it.
#pragma once

#include <memory>
#include <string>

#include "net/transport.hpp"

namespace taube::imap::server {

// Takes `inner` over; `already_received` is compressed input read before the
// switch (pipelined behind COMPRESS). On failure (zlib out of memory) returns
// nullptr and leaves `inner` untouched.
std::unique_ptr<net::Transport> make_deflate_transport(std::unique_ptr<net::Transport>& inner,
                                                       std::string already_received);

}  // namespace taube::imap::server
