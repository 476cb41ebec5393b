#include "delivery/describe.hpp"

#include "mime/imap_bodystructure.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/part.hpp"
#include "mime/summary.hpp"

namespace taube::delivery {

store::MessageMeta describe(std::string_view raw, const mime::Limits& limits) {
  const mime::Part root = mime::parse(raw, limits);
  mime::Summary summary = mime::summarize(root, raw);
  store::MessageMeta meta;
  meta.envelope = mime::render_envelope(root, raw);
  meta.body_structure = mime::render_body_structure(root, raw, mime::BodyForm::kBodyStructure);
  meta.body = mime::render_body_structure(root, raw, mime::BodyForm::kBody);
  meta.subject = std::move(summary.subject);
  meta.from = std::move(summary.from);
  meta.to = std::move(summary.to);
  meta.cc = std::move(summary.cc);
  meta.bcc = std::move(summary.bcc);
  if (summary.date) meta.sent_date = store::UnixTime(std::chrono::seconds(summary.date->unix_seconds));
  meta.message_id = std::move(summary.message_id);
  meta.in_reply_to = std::move(summary.in_reply_to);
  meta.references = std::move(summary.references);
  meta.headers = std::move(summary.header);
  meta.preview = std::move(summary.preview);
  meta.search_text = std::move(summary.search_text);
  return meta;
}

}  // namespace taube::delivery
