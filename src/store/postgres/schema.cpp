#include "store/postgres/schema.hpp"

#include <array>
#include <stdexcept>

namespace taube::store::postgres {
namespace {

namespace asio = boost::asio;

// The same tables as the SQLite engine. Names compare byte-wise (COLLATE "C");
// case-insensitive keys (domain names, local parts) are stored lower-cased by
// the engine (ASCII, as SQLite's NOCASE). Refcounts live in triggers so that
// every path that deletes messages (expunge, cascades) frees contents and blobs.
constexpr const char* kV1 = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO meta VALUES('next_uid_validity', extract(epoch FROM now())::bigint);
CREATE TABLE domains(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name TEXT COLLATE "C" NOT NULL UNIQUE);
CREATE TABLE accounts(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  domain_id BIGINT NOT NULL REFERENCES domains(id),
  local_part TEXT NOT NULL,
  local_key TEXT COLLATE "C" NOT NULL,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE(domain_id, local_key));
CREATE TABLE aliases(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  domain_id BIGINT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  local_part TEXT NOT NULL,
  local_key TEXT COLLATE "C" NOT NULL,
  UNIQUE(domain_id, local_key));
CREATE TABLE alias_targets(
  alias_id BIGINT NOT NULL REFERENCES aliases(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  target TEXT NOT NULL,
  PRIMARY KEY(alias_id, position));
CREATE TABLE mailboxes(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name TEXT COLLATE "C" NOT NULL,
  uid_validity BIGINT NOT NULL,
  uid_next BIGINT NOT NULL DEFAULT 1,
  highest_modseq BIGINT NOT NULL DEFAULT 1,
  special_use INTEGER NOT NULL DEFAULT 0,
  UNIQUE(account_id, name));
CREATE TABLE subscriptions(
  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY(account_id, name));
CREATE TABLE blobs(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  hash TEXT COLLATE "C" NOT NULL UNIQUE,
  size BIGINT NOT NULL,
  data BYTEA NOT NULL);
CREATE TABLE contents(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  hash TEXT COLLATE "C" NOT NULL UNIQUE,
  refs BIGINT NOT NULL DEFAULT 0,
  size BIGINT NOT NULL,
  envelope TEXT NOT NULL, body_structure TEXT NOT NULL, body TEXT NOT NULL,
  subject TEXT NOT NULL, from_addr TEXT NOT NULL, to_addr TEXT NOT NULL,
  cc_addr TEXT NOT NULL, bcc_addr TEXT NOT NULL, sent_date BIGINT,
  message_id TEXT NOT NULL, in_reply_to TEXT NOT NULL, references_hdr TEXT NOT NULL,
  headers TEXT NOT NULL, preview TEXT NOT NULL, search_text TEXT NOT NULL);
CREATE TABLE messages(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  mailbox_id BIGINT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid BIGINT NOT NULL,
  modseq BIGINT NOT NULL,
  flags INTEGER NOT NULL,
  keywords TEXT NOT NULL,
  internal_date BIGINT NOT NULL,
  save_date BIGINT NOT NULL,
  size BIGINT NOT NULL,
  content_id BIGINT NOT NULL REFERENCES contents(id),
  email_id TEXT NOT NULL,
  UNIQUE(mailbox_id, uid));
CREATE INDEX messages_modseq ON messages(mailbox_id, modseq);
CREATE INDEX messages_content ON messages(content_id);
CREATE TABLE expunged(
  mailbox_id BIGINT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid BIGINT NOT NULL,
  modseq BIGINT NOT NULL,
  PRIMARY KEY(mailbox_id, uid));
CREATE INDEX expunged_modseq ON expunged(mailbox_id, modseq);
CREATE FUNCTION taube_messages_ref() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE contents SET refs = refs + 1 WHERE id = NEW.content_id;
  RETURN NULL;
END $$;
CREATE FUNCTION taube_messages_unref() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE contents SET refs = refs - 1 WHERE id = OLD.content_id;
  DELETE FROM contents WHERE id = OLD.content_id AND refs <= 0;
  RETURN NULL;
END $$;
CREATE FUNCTION taube_contents_drop_blob() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM blobs WHERE hash = OLD.hash;
  RETURN NULL;
END $$;
CREATE TRIGGER messages_ref AFTER INSERT ON messages
  FOR EACH ROW EXECUTE FUNCTION taube_messages_ref();
CREATE TRIGGER messages_unref AFTER DELETE ON messages
  FOR EACH ROW EXECUTE FUNCTION taube_messages_unref();
CREATE TRIGGER contents_drop_blob AFTER DELETE ON contents
  FOR EACH ROW EXECUTE FUNCTION taube_contents_drop_blob();
)sql";

// Full-text index over body text and headers: a stored tsvector ('simple'
// configuration: no stemming, no stop words, lower-cased) with a GIN index.
// Only the first 256 Ki characters of text and 64 Ki of headers are indexed: a
// tsvector is limited to 1 MiB, and a delivery must never fail because its
// text is long.
constexpr const char* kV2 = R"sql(
ALTER TABLE contents ADD COLUMN fts tsvector GENERATED ALWAYS AS (
  to_tsvector('simple'::regconfig,
              left(search_text, 262144) || ' ' || left(headers, 65536))) STORED;
CREATE INDEX contents_fts ON contents USING gin(fts);
)sql";

// Calendars and address books (store/dav.hpp): the same tables as the SQLite
// engine. Identity ids are never reused (they are part of sync tokens). The
// default collections come from a trigger on accounts, and for accounts from
// before this step from the INSERT below.
constexpr const char* kDav = R"sql(
CREATE TABLE dav_collections(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  kind INTEGER NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  displayname TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  color TEXT NOT NULL DEFAULT '',
  timezone TEXT NOT NULL DEFAULT '',
  components TEXT NOT NULL DEFAULT '',
  sync_token BIGINT NOT NULL DEFAULT 1,
  sync_floor BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  UNIQUE(owner_id, name));
CREATE TABLE dav_properties(
  collection_id BIGINT NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
  name TEXT COLLATE "C" NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY(collection_id, name));
CREATE TABLE dav_resources(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  collection_id BIGINT NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
  name TEXT COLLATE "C" NOT NULL,
  uid TEXT COLLATE "C" NOT NULL,
  uid_key TEXT COLLATE "C",
  etag TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  modified BIGINT NOT NULL,
  token BIGINT NOT NULL,
  component TEXT NOT NULL,
  range_start BIGINT,
  range_end BIGINT,
  content BYTEA NOT NULL,
  UNIQUE(collection_id, name),
  UNIQUE(collection_id, uid_key));
CREATE INDEX dav_resources_token ON dav_resources(collection_id, token);
CREATE INDEX dav_resources_uid ON dav_resources(uid);
CREATE TABLE dav_tombstones(
  collection_id BIGINT NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
  name TEXT COLLATE "C" NOT NULL,
  token BIGINT NOT NULL,
  PRIMARY KEY(collection_id, name));
CREATE INDEX dav_tombstones_token ON dav_tombstones(collection_id, token);
CREATE TABLE dav_shares(
  collection_id BIGINT NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
  sharee_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  access INTEGER NOT NULL,
  PRIMARY KEY(collection_id, sharee_id));
CREATE INDEX dav_shares_sharee ON dav_shares(sharee_id);
CREATE FUNCTION taube_dav_defaults() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO dav_collections(owner_id, kind, name, displayname, components, created_at) VALUES
    (NEW.id, 0, 'calendar', 'Calendar', 'VEVENT VTODO', NEW.created_at),
    (NEW.id, 1, 'contacts', 'Contacts', '', NEW.created_at),
    (NEW.id, 2, 'inbox', 'Inbox', '', NEW.created_at),
    (NEW.id, 3, 'outbox', 'Outbox', '', NEW.created_at);
  RETURN NULL;
END $$;
CREATE TRIGGER accounts_dav_defaults AFTER INSERT ON accounts
  FOR EACH ROW EXECUTE FUNCTION taube_dav_defaults();
INSERT INTO dav_collections(owner_id, kind, name, displayname, components, created_at)
  SELECT a.id, d.kind, d.name, d.displayname, d.components, a.created_at FROM accounts a,
    (VALUES (0, 'calendar', 'Calendar', 'VEVENT VTODO'), (1, 'contacts', 'Contacts', ''),
            (2, 'inbox', 'Inbox', ''), (3, 'outbox', 'Outbox', ''))
      AS d(kind, name, displayname, components)
  ORDER BY a.id, d.kind;
)sql";

// Cluster membership: one row per taube node, refreshed by its heartbeat
// (`taube cluster status`).
constexpr const char* kClusterNodes = R"sql(
CREATE TABLE cluster_nodes(
  node_id TEXT COLLATE "C" PRIMARY KEY,
  host TEXT NOT NULL,
  version TEXT NOT NULL,
  serves TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  last_seen TIMESTAMPTZ NOT NULL);
)sql";

// The outbound queue (store/queue.hpp) and the idempotency keys of deliveries.
// A queued message's blob stays while a queue row names it: blobs count their
// queue rows (queue_refs) and go when neither contents nor queue need them.
// The count is a row update, so concurrent transactions serialise on the blob
// row (a NOT EXISTS check alone would not see an uncommitted queue row).
constexpr const char* kQueue = R"sql(
CREATE TABLE queue(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  domain TEXT COLLATE "C" NOT NULL,
  sender TEXT NOT NULL,
  envid TEXT NOT NULL,
  ret INTEGER NOT NULL,
  submitted_by BIGINT NOT NULL,
  blob_hash TEXT COLLATE "C" NOT NULL,
  size BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  next_attempt BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  held BOOLEAN NOT NULL DEFAULT false,
  delay_notified BOOLEAN NOT NULL DEFAULT false,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_until BIGINT NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX queue_due ON queue(next_attempt) WHERE NOT held;
CREATE TABLE queue_recipients(
  entry_id BIGINT NOT NULL REFERENCES queue(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  address TEXT NOT NULL,
  orcpt TEXT NOT NULL,
  notify INTEGER NOT NULL,
  state INTEGER NOT NULL DEFAULT 0,
  last_reply TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(entry_id, position));
ALTER TABLE blobs ADD COLUMN queue_refs BIGINT NOT NULL DEFAULT 0;
CREATE OR REPLACE FUNCTION taube_contents_drop_blob() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM blobs WHERE hash = OLD.hash AND queue_refs <= 0;
  RETURN NULL;
END $$;
CREATE FUNCTION taube_queue_ref() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE blobs SET queue_refs = queue_refs + 1 WHERE hash = NEW.blob_hash;
  IF NOT FOUND THEN
    -- Deleted by a concurrent transaction after we saw it: retry the whole.
    RAISE EXCEPTION 'queued blob % vanished', NEW.blob_hash USING ERRCODE = '40001';
  END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION taube_queue_unref() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE blobs SET queue_refs = queue_refs - 1 WHERE hash = OLD.blob_hash;
  DELETE FROM blobs b WHERE b.hash = OLD.blob_hash AND b.queue_refs <= 0
    AND NOT EXISTS(SELECT 1 FROM contents c WHERE c.hash = OLD.blob_hash);
  RETURN NULL;
END $$;
CREATE TRIGGER queue_ref AFTER INSERT ON queue
  FOR EACH ROW EXECUTE FUNCTION taube_queue_ref();
CREATE TRIGGER queue_unref AFTER DELETE ON queue
  FOR EACH ROW EXECUTE FUNCTION taube_queue_unref();
CREATE TABLE delivery_keys(
  key TEXT COLLATE "C" PRIMARY KEY,
  created_at BIGINT NOT NULL,
  results TEXT);
CREATE INDEX delivery_keys_age ON delivery_keys(created_at);
)sql";

constexpr std::array kSteps{kV1, kV2, kDav, kQueue, kClusterNodes};
constexpr std::int64_t kMigrationLock = 0x74617562;  // "taub"

}  // namespace

int latest_schema_version() { return static_cast<int>(kSteps.size()); }

asio::awaitable<int> schema_version(PgConn& conn) {
  co_await conn.exec_script(
      "CREATE TABLE IF NOT EXISTS schema_migrations("
      "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
  auto rows = co_await conn.query("SELECT coalesce(max(version), 0) FROM schema_migrations");
  co_return static_cast<int>(rows.i64(0, 0));
}

asio::awaitable<void> migrate(PgConn& conn, int target) {
  if (target <= 0 || target > latest_schema_version()) target = latest_schema_version();
  // Two nodes may start at once: the lock serialises them, the version check
  // inside the transaction makes the second one a no-op. On an error the
  // caller drops the connection, which rolls the transaction back.
  co_await conn.exec_script("BEGIN");
  co_await conn.query("SELECT pg_advisory_xact_lock($1)", kMigrationLock);
  int current = co_await schema_version(conn);
  if (current > latest_schema_version())
    throw std::runtime_error("database schema version " + std::to_string(current) +
                             " is newer than this taube (" +
                             std::to_string(latest_schema_version()) + ")");
  for (int v = current + 1; v <= target; ++v) {
    co_await conn.exec_script(kSteps[static_cast<size_t>(v - 1)]);
    co_await conn.query("INSERT INTO schema_migrations(version) VALUES ($1)", v);
  }
  co_await conn.exec_script("COMMIT");
}

}  // namespace taube::store::postgres
