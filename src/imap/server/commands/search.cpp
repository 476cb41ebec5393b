// SEARCH and UID SEARCH (RFC 9051 6.4.4) with CHARSET UTF-8, ESEARCH return
// options (RFC 4731), SEARCHRES "$" (RFC 5182), MODSEQ (RFC 7162 3.1.5).
// IMAP4rev2 clients get ESEARCH; IMAP4rev1 clients get "* SEARCH".
#include "imap/server/commands.hpp"
#include "imap/server/search_eval.hpp"
#include "imap/server/support.hpp"
#include "imap/wire/writer.hpp"

namespace taube::imap::server {

using boost::asio::awaitable;

awaitable<Completion> cmd_search(Context& ctx, wire::Command& command) {
  auto& search = std::get<wire::Search>(command.body);
  if (search.charset && *search.charset != "UTF-8" && *search.charset != "US-ASCII")
    co_return no("Unsupported charset", "BADCHARSET (UTF-8 US-ASCII)");
  auto result = co_await evaluate_search(ctx, search.key);
  if (!result) co_return from_error(result.error(), "search");
  if (result->used_modseq) ctx.enabled.condstore = true;

  std::vector<std::uint32_t> numbers;
  for (const auto& [seq, uid] : result->matches) numbers.push_back(search.uid ? uid : seq);

  if (!search.result_options && !ctx.enabled.rev2) {
    std::string line = "SEARCH";
    for (auto n : numbers) line += " " + std::to_string(n);
    if (result->used_modseq && !numbers.empty()) line += " (MODSEQ " + std::to_string(result->highest_modseq) + ")";
    ctx.send_untagged(line);
    co_return ok("SEARCH completed");
  }
  wire::SearchReturn options = search.result_options.value_or(wire::SearchReturn{});
  if (!options.min && !options.max && !options.count && !options.all && !options.save) options.all = true;
  if (options.save) {
    // RFC 5182 2.4: with MIN or MAX alone, only those are saved.
    ctx.saved_search.clear();
    if ((options.min || options.max) && !options.all && !options.count) {
      if (!result->matches.empty()) {
        if (options.min) ctx.saved_search.push_back(result->matches.front().second);
        if (options.max && (!options.min || result->matches.size() > 1))
          ctx.saved_search.push_back(result->matches.back().second);
      }
    } else {
      for (const auto& [seq, uid] : result->matches) ctx.saved_search.push_back(uid);
    }
    if (!options.min && !options.max && !options.count && !options.all) co_return ok("SEARCH completed");
  }
  wire::EsearchResult out;
  if (!numbers.empty()) {
    if (options.min) out.min = numbers.front();
    if (options.max) out.max = numbers.back();
    if (options.all) out.all = numbers;
  }
  if (options.count) out.count = static_cast<std::uint32_t>(numbers.size());
  if (result->used_modseq && !numbers.empty()) out.mod_seq = result->highest_modseq;
  ctx.send(wire::format_esearch(command.tag, search.uid, out));
  co_return ok("SEARCH completed");
}

}  // namespace taube::imap::server
