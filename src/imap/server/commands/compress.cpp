// COMPRESS DEFLATE (RFC 4978): the session installs the compressing transport
// right after the tagged OK, so that OK is the last uncompressed octet.
#include "imap/server/commands.hpp"

namespace taube::imap::server {

using boost::asio::awaitable;

awaitable<Completion> cmd_compress(Context& ctx, wire::Command& command) {
  auto& compress = std::get<wire::Compress>(command.body);
  if (compress.mechanism != "DEFLATE") co_return bad("Unknown compression mechanism");
  if (ctx.compress_active) co_return no("Compression is already active", "COMPRESSIONACTIVE");
  ctx.compress_requested = true;
  co_return ok("DEFLATE active");
}

}  // namespace taube::imap::server
