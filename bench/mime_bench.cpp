// MIME parsing throughput (MB/s via SetBytesProcessed) on a mix of messages: a
// plain text mail, a multipart with a 1 MB base64 attachment, deeply nested
// multiparts, and a 1000-part message; plus BODYSTRUCTURE rendering and Summary
// (time only: Summary decodes text parts, not the attachment).
#include <benchmark/benchmark.h>

#include <string>

#include "mime/imap_bodystructure.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/summary.hpp"

namespace {

std::string simple_text() {
  std::string m =
      "From: \"Doe, John\" <john@example.com>\r\nTo: jane@example.org, Bob <bob@example.net>\r\n"
      "Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?= from the meeting\r\n"
      "Date: Tue, 2 Jan 2024 10:00:00 +0100\r\nMessage-ID: <m1@example.com>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
  for (int i = 0; i < 60; ++i)
    m += "A line of ordinary message text, about seventy characters long.\r\n";
  return m;
}

std::string with_attachment() {
  std::string m =
      "From: a@example.com\r\nTo: b@example.com\r\nSubject: report\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"=_outer\"\r\n\r\n"
      "--=_outer\r\nContent-Type: multipart/alternative; boundary=\"=_alt\"\r\n\r\n"
      "--=_alt\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee attached.\r\n"
      "--=_alt\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n<p>See attached.</p>\r\n"
      "--=_alt--\r\n"
      "--=_outer\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
      "Content-Disposition: attachment; filename*=UTF-8''r%C3%A9port.pdf\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n";
  const std::string line =
      "JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVyIC9GbGF0ZUR\r\n";
  while (m.size() < 1024 * 1024) m += line;
  m += "--=_outer--\r\n";
  return m;
}

std::string deep_nesting() {
  std::string m = "Subject: deep\r\n";
  for (int i = 0; i < 30; ++i)
    m += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
         std::to_string(i) + "\r\n";
  m += "Content-Type: text/plain\r\n\r\n";
  for (int i = 0; i < 200; ++i) m += "deep text line\r\n";
  for (int i = 30; i-- > 0;) m += "--b" + std::to_string(i) + "--\r\n";
  return m;
}

std::string many_parts() {
  std::string m = "Subject: many\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n";
  for (int i = 0; i < 1000; ++i)
    m += "--z\r\nContent-Type: text/plain; name=\"p" + std::to_string(i) + ".txt\"\r\n\r\npart\r\n";
  m += "--z--\r\n";
  return m;
}

void run_parse(benchmark::State& state, const std::string& raw) {
  for (auto _ : state) {
    taube::mime::Part p = taube::mime::parse(raw);
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * int64_t(raw.size()));
}

void BM_ParseSimpleText(benchmark::State& s) { run_parse(s, simple_text()); }
void BM_ParseAttachment1MB(benchmark::State& s) { run_parse(s, with_attachment()); }
void BM_ParseDeepNesting(benchmark::State& s) { run_parse(s, deep_nesting()); }
void BM_ParseThousandParts(benchmark::State& s) { run_parse(s, many_parts()); }

void BM_ParseMix(benchmark::State& state) {
  const std::string msgs[] = {simple_text(), with_attachment(), deep_nesting(), many_parts()};
  std::int64_t bytes = 0;
  for (auto _ : state) {
    for (const std::string& raw : msgs) {
      taube::mime::Part p = taube::mime::parse(raw);
      benchmark::DoNotOptimize(p);
      bytes += std::int64_t(raw.size());
    }
  }
  state.SetBytesProcessed(bytes);
}

void run_render(benchmark::State& state, const std::string& raw) {
  taube::mime::Part p = taube::mime::parse(raw);
  for (auto _ : state) {
    std::string env = taube::mime::render_envelope(p, raw);
    std::string bs =
        taube::mime::render_body_structure(p, raw, taube::mime::BodyForm::kBodyStructure);
    benchmark::DoNotOptimize(env);
    benchmark::DoNotOptimize(bs);
  }
}

void BM_BodyStructureAttachment(benchmark::State& s) { run_render(s, with_attachment()); }
void BM_BodyStructureThousandParts(benchmark::State& s) { run_render(s, many_parts()); }

void BM_SummarizeAttachment1MB(benchmark::State& state) {
  std::string raw = with_attachment();
  taube::mime::Part p = taube::mime::parse(raw);
  for (auto _ : state) {
    taube::mime::Summary s = taube::mime::summarize(p, raw);
    benchmark::DoNotOptimize(s);
  }
}

}  // namespace

BENCHMARK(BM_ParseSimpleText);
BENCHMARK(BM_ParseAttachment1MB);
BENCHMARK(BM_ParseDeepNesting);
BENCHMARK(BM_ParseThousandParts);
BENCHMARK(BM_ParseMix);
BENCHMARK(BM_BodyStructureAttachment);
BENCHMARK(BM_BodyStructureThousandParts);
BENCHMARK(BM_SummarizeAttachment1MB);
BENCHMARK_MAIN();
