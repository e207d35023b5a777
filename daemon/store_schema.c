#include "store_schema.h"

/* Times are INTEGER seconds since the epoch (UTC); calendar dates are TEXT
 * YYYY-MM-DD in the round's regime time zone. */
const char *const store_migrations[] = {
	/* 0 -> 1: the foundation. */
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT"
	");"
	"CREATE TABLE bodies ("
	"  id INTEGER PRIMARY KEY,"
	"  short_name TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL,"
	"  email TEXT NOT NULL,"
	"  kind TEXT,"
	"  region TEXT,"
	"  tags TEXT NOT NULL DEFAULT '',"     /* ';'-separated */
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	");"
	"CREATE INDEX bodies_email ON bodies(email COLLATE NOCASE);"
	/* Extra CSV columns, usable in templates as {{body.KEY}}. */
	"CREATE TABLE body_attrs ("
	"  body_id INTEGER NOT NULL REFERENCES bodies(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (body_id, key)"
	");"
	"CREATE TABLE rounds ("
	"  id INTEGER PRIMARY KEY,"
	"  slug TEXT NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('foi', 'survey')),"
	"  title TEXT NOT NULL,"
	"  regime TEXT NOT NULL,"
	"  closes_on TEXT,"
	"  ref_prefix TEXT NOT NULL UNIQUE,"
	"  template_path TEXT NOT NULL,"
	"  template TEXT NOT NULL,"            /* the text as it was at create */
	"  state TEXT NOT NULL DEFAULT 'draft'"
	"    CHECK (state IN ('draft', 'launched', 'paused', 'closed')),"
	"  created_at INTEGER NOT NULL,"
	"  launched_at INTEGER"
	");"
	"CREATE TABLE requests ("
	"  id INTEGER PRIMARY KEY,"
	"  round_id INTEGER NOT NULL REFERENCES rounds(id),"
	"  body_id INTEGER NOT NULL REFERENCES bodies(id),"
	"  seq INTEGER NOT NULL,"
	"  reference TEXT NOT NULL UNIQUE,"
	"  reply_address TEXT,"
	/* Delivery of the initial request; the reply-driven status is derived
	 * from messages and events. */
	"  delivery TEXT NOT NULL DEFAULT 'draft' CHECK (delivery IN"
	"    ('draft', 'queued', 'sending', 'sent', 'unconfirmed', 'failed', 'bounced')),"
	"  delivery_detail TEXT,"
	"  sent_at INTEGER,"
	"  clock_start TEXT,"                  /* day 0 of the current count */
	"  clock_stopped_at INTEGER,"          /* set while awaiting our clarification */
	"  extension_days INTEGER NOT NULL DEFAULT 0,"
	"  due_date TEXT,"
	"  withdrawn_at INTEGER,"
	"  their_reference TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (round_id, body_id),"
	"  UNIQUE (round_id, seq)"
	");"
	"CREATE INDEX requests_body ON requests(body_id);"
	"CREATE INDEX requests_their_ref ON requests(their_reference);"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),"
	"  request_id INTEGER REFERENCES requests(id),"
	"  purpose TEXT,"                      /* out: request, reminder:STEP, clarification, digest */
	"  message_id TEXT,"                   /* without angle brackets */
	"  in_reply_to TEXT,"
	"  refs TEXT,"                         /* space-separated ids */
	"  from_addr TEXT,"
	"  to_addrs TEXT,"
	"  cc_addrs TEXT,"
	"  subject TEXT,"
	"  date_hdr TEXT,"
	"  raw_sha256 TEXT,"
	"  raw_size INTEGER,"
	"  raw_path TEXT,"                     /* relative to the storage directory */
	/* outgoing */
	"  envelope_from TEXT,"
	"  envelope_to TEXT,"                  /* space-separated, Bcc included */
	"  send_state TEXT CHECK (send_state IN"
	"    ('queued', 'sending', 'sent', 'unconfirmed', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER,"
	"  last_error TEXT,"
	"  smtp_reply TEXT,"                   /* proof of hand-over */
	"  sent_at INTEGER,"
	"  copied_at INTEGER,"                 /* APPENDed to imap.sent_mailbox */
	/* incoming */
	"  internaldate INTEGER,"              /* when it arrived: used for deadlines */
	"  headers TEXT,"                      /* classifier-relevant headers, JSON */
	"  body_text TEXT,"
	"  parse_status TEXT CHECK (parse_status IN ('ok', 'partial', 'limit', 'failed')),"
	"  parse_error TEXT,"
	"  kind TEXT CHECK (kind IN ('bounce', 'auto_reply', 'acknowledgement',"
	"    'clarification', 'extension', 'refusal', 'response', 'other', 'own')),"
	"  kind_rule TEXT,"
	"  kind_evidence TEXT,"
	"  kind_override INTEGER NOT NULL DEFAULT 0,"
	"  match_rule TEXT,"
	"  match_evidence TEXT,"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE UNIQUE INDEX messages_out_mid ON messages(message_id) WHERE direction = 'out';"
	"CREATE UNIQUE INDEX messages_in_same ON messages(message_id, raw_sha256) WHERE direction = 'in';"
	"CREATE INDEX messages_mid ON messages(message_id);"
	"CREATE INDEX messages_request ON messages(request_id);"
	"CREATE INDEX messages_send ON messages(send_state, next_attempt_at) WHERE direction = 'out';"
	/* Where an incoming message was seen on the server. */
	"CREATE TABLE message_locations ("
	"  mailbox TEXT NOT NULL,"
	"  uidvalidity INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  message_id INTEGER NOT NULL REFERENCES messages(id),"
	"  PRIMARY KEY (mailbox, uidvalidity, uid)"
	");"
	"CREATE TABLE attachments ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	"  part TEXT NOT NULL,"                /* MIME part path, e.g. 2.1 */
	"  filename TEXT NOT NULL,"            /* sanitised, for display */
	"  content_type TEXT,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  path TEXT NOT NULL"                 /* relative to the storage directory */
	");"
	"CREATE INDEX attachments_message ON attachments(message_id);"
	"CREATE TABLE mailbox_state ("
	"  mailbox TEXT PRIMARY KEY,"
	"  uidvalidity INTEGER NOT NULL,"
	"  last_uid INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	");"
	/* Addresses a person assigned to a body, for later mail from them. */
	"CREATE TABLE sender_hints ("
	"  address TEXT PRIMARY KEY COLLATE NOCASE,"
	"  body_id INTEGER NOT NULL REFERENCES bodies(id),"
	"  created_at INTEGER NOT NULL"
	");"
	/* Append-only: what happened to which request, when and why. */
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  round_id INTEGER REFERENCES rounds(id),"
	"  request_id INTEGER REFERENCES requests(id),"
	"  message_id INTEGER REFERENCES messages(id),"
	"  type TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  detail TEXT"
	");"
	"CREATE INDEX events_request ON events(request_id);"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;",

	/* 1 -> 2: coded answers. */
	"CREATE TABLE questions ("
	"  round_id INTEGER NOT NULL REFERENCES rounds(id),"
	"  key TEXT NOT NULL,"
	"  type TEXT NOT NULL CHECK (type IN ('choice', 'number', 'text')),"
	"  choices TEXT,"                      /* '|'-separated, for choice */
	"  position INTEGER NOT NULL,"         /* 1-based: survey answer numbers */
	"  PRIMARY KEY (round_id, key)"
	");"
	"CREATE TABLE answers ("
	"  request_id INTEGER NOT NULL REFERENCES requests(id),"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  machine INTEGER NOT NULL DEFAULT 0," /* parsed from a reply, unconfirmed */
	"  message_id INTEGER REFERENCES messages(id),"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  PRIMARY KEY (request_id, key)"
	");"
	/* Set once the processed keyword is on the server: a crash between
	 * commit and flag is made good on the next pass.  Mail filed before
	 * this version was flagged by then; the index finds what is owed. */
	"ALTER TABLE message_locations ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;"
	"UPDATE message_locations SET flagged = 1;"
	"CREATE INDEX message_locations_owed ON message_locations(mailbox, uidvalidity)"
	"  WHERE flagged = 0;",
	/* v2 -> v3: how sure the classifier was, in percent, so that a person
	 * sees it and a doubtful kind goes to review.  Mail classified before
	 * keeps NULL: its rules kept no such figure. */
	"ALTER TABLE messages ADD COLUMN kind_confidence INTEGER;",
	/* v3 -> v4: full-text search over what the bodies sent.  One row per
	 * text: a received message's subject and body (attachment NULL), and
	 * later each attachment's text (page per PDF page).  Triggers keep it,
	 * so no code path that files mail can forget it; mail filed before is
	 * indexed here. */
	"CREATE VIRTUAL TABLE search_text USING fts5(subject, text, message UNINDEXED,"
	"  attachment UNINDEXED, page UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');"
	"CREATE TRIGGER messages_search AFTER INSERT ON messages"
	"  WHEN new.direction = 'in' BEGIN"
	"  INSERT INTO search_text (subject, text, message)"
	"    VALUES (new.subject, coalesce(new.body_text, ''), new.id);"
	"END;"
	"CREATE TRIGGER messages_search_gone AFTER DELETE ON messages BEGIN"
	"  DELETE FROM search_text WHERE message = old.id;"
	"END;"
	"INSERT INTO search_text (subject, text, message)"
	"  SELECT subject, coalesce(body_text, ''), id FROM messages WHERE direction = 'in';",
	/* v4 -> v5: the text of attachments, per page (PDF) or sheet; page 0
	 * for a document without pages.  text_status NULL means not tried
	 * yet: attachments filed before are extracted by the next pass (or
	 * foictl extract). */
	"ALTER TABLE attachments ADD COLUMN text_status TEXT;"
	"ALTER TABLE attachments ADD COLUMN detected_type TEXT;"
	"CREATE INDEX attachments_untried ON attachments(id) WHERE text_status IS NULL;"
	"CREATE TABLE attachment_pages ("
	"  attachment_id INTEGER NOT NULL REFERENCES attachments(id) ON DELETE CASCADE,"
	"  page INTEGER NOT NULL,"
	"  text TEXT NOT NULL,"
	"  PRIMARY KEY (attachment_id, page)"
	");"
	"CREATE TRIGGER attachment_pages_search AFTER INSERT ON attachment_pages BEGIN"
	"  INSERT INTO search_text (text, message, attachment, page)"
	"    SELECT new.text, a.message_id, new.attachment_id, nullif(new.page, 0)"
	"    FROM attachments a WHERE a.id = new.attachment_id;"
	"END;"
	"CREATE TRIGGER attachment_pages_gone AFTER DELETE ON attachment_pages BEGIN"
	"  DELETE FROM search_text WHERE attachment = old.attachment_id AND"
	"    page IS nullif(old.page, 0);"
	"END;",
	/* v5 -> v6: server health.  Why foid cannot use a server ("imap",
	 * "smtp") or a mailbox ("imap:NAME"), since when, and what a person
	 * should change; a row goes when the server works again.  Read by
	 * foictl status and the digest. */
	"CREATE TABLE server_health ("
	"  server TEXT PRIMARY KEY,"
	"  since INTEGER NOT NULL,"            /* first failure of this run of them */
	"  last INTEGER NOT NULL,"             /* latest failure */
	"  error TEXT NOT NULL,"
	"  fix TEXT,"
	"  permanent INTEGER NOT NULL"         /* 0: network trouble, retried */
	");",
	/* v6 -> v7: extensions a person granted, as data (the days were written
	 * into the event's text and parsed back).  Earlier extensions are
	 * read out of that text once, here. */
	"CREATE TABLE extensions ("
	"  id INTEGER PRIMARY KEY,"
	"  request_id INTEGER NOT NULL REFERENCES requests(id),"
	"  at INTEGER NOT NULL,"
	"  days INTEGER NOT NULL CHECK (days BETWEEN 1 AND 365),"
	"  reason TEXT NOT NULL,"
	"  actor TEXT NOT NULL"
	");"
	"CREATE INDEX extensions_request ON extensions(request_id);"
	"INSERT INTO extensions (request_id, at, days, reason, actor)"
	"  SELECT request_id, at, CAST(substr(detail, 6) AS INTEGER),"
	"  substr(detail, instr(detail, '; ') + 2), actor FROM events"
	"  WHERE type = 'request.extended' AND request_id IS NOT NULL"
	"  AND detail LIKE 'days=%' ORDER BY id;",
	/* v7 -> v8: a column named message_id held the RFC Message-ID text in
	 * messages and a messages row number everywhere else; the row numbers
	 * are message_row now.  SQLite carries the rename into the indexes and
	 * triggers that name them. */
	"ALTER TABLE message_locations RENAME COLUMN message_id TO message_row;"
	"ALTER TABLE attachments RENAME COLUMN message_id TO message_row;"
	"ALTER TABLE events RENAME COLUMN message_id TO message_row;"
	"ALTER TABLE answers RENAME COLUMN message_id TO message_row;",
	/* v8 -> v9: surveys.  A question's wording (the invitation's
	 * {{survey.questions}}, and how answers under quoted questions are
	 * found), its choices' synonyms ("yes=y,we do|no=n") and a number's
	 * unit; an answer's comment and, for a machine's, how sure the reader
	 * was in percent (NULL before: those were "1: yes" lines, read
	 * surely); whether the round thanks a body that answered everything.
	 * Older questions keep no wording: the invitation shows their key. */
	"ALTER TABLE questions ADD COLUMN wording TEXT;"
	"ALTER TABLE questions ADD COLUMN synonyms TEXT;"
	"ALTER TABLE questions ADD COLUMN unit TEXT;"
	"ALTER TABLE answers ADD COLUMN comment TEXT;"
	"ALTER TABLE answers ADD COLUMN confidence INTEGER;"
	"ALTER TABLE rounds ADD COLUMN thanks INTEGER NOT NULL DEFAULT 0;",
	/* v9 -> v10: each indexed text's rowid says whose text it is, so that
	 * a search narrowed to one body can tell its texts from the rowid
	 * alone: reading any other column of an FTS5 row loads the whole
	 * text (65 ms of a 100 ms search over 25 000 texts).  A message's
	 * own text has the message's id; a page of an attachment
	 * -(attachment id * 2^32 + page), which no message id can be.  The
	 * index is rebuilt in the new numbering. */
	"DROP TRIGGER messages_search;"
	"DROP TRIGGER attachment_pages_search;"
	"DROP TRIGGER attachment_pages_gone;"
	"DELETE FROM search_text;"
	"CREATE TRIGGER messages_search AFTER INSERT ON messages"
	"  WHEN new.direction = 'in' BEGIN"
	"  INSERT INTO search_text (rowid, subject, text, message)"
	"    VALUES (new.id, new.subject, coalesce(new.body_text, ''), new.id);"
	"END;"
	"CREATE TRIGGER attachment_pages_search AFTER INSERT ON attachment_pages BEGIN"
	"  INSERT INTO search_text (rowid, text, message, attachment, page)"
	"    SELECT -(new.attachment_id * 4294967296 + new.page), new.text,"
	"    a.message_row, new.attachment_id, nullif(new.page, 0)"
	"    FROM attachments a WHERE a.id = new.attachment_id;"
	"END;"
	"CREATE TRIGGER attachment_pages_gone AFTER DELETE ON attachment_pages BEGIN"
	"  DELETE FROM search_text WHERE rowid = -(old.attachment_id * 4294967296 + old.page);"
	"END;"
	"INSERT INTO search_text (rowid, subject, text, message)"
	"  SELECT id, subject, coalesce(body_text, ''), id FROM messages WHERE direction = 'in';"
	"INSERT INTO search_text (rowid, text, message, attachment, page)"
	"  SELECT -(p.attachment_id * 4294967296 + p.page), p.text, a.message_row,"
	"  p.attachment_id, nullif(p.page, 0)"
	"  FROM attachment_pages p JOIN attachments a ON a.id = p.attachment_id;",
	/* v10 -> v11: a received message, and an attachment's page, is indexed
	 * for search when the transaction that filed it commits, in one
	 * statement for all the rows it filed.  FTS5 writes its pending terms
	 * out at the start of every later statement of the transaction, so one
	 * search_text row per INSERT made a segment per message (and their
	 * merges), over half of ingestion's database time.  The triggers still
	 * see every row, and queue it; store_commit (and store_open, for rows
	 * written outside a transaction) moves the queue into search_text. */
	"CREATE TABLE search_queue ("
	"  id INTEGER PRIMARY KEY,"
	"  message INTEGER,"      /* a messages row, or */
	"  attachment INTEGER,"   /* an attachment_pages row */
	"  page INTEGER"
	");"
	"DROP TRIGGER messages_search;"
	"CREATE TRIGGER messages_search AFTER INSERT ON messages"
	"  WHEN new.direction = 'in' BEGIN"
	"  INSERT INTO search_queue (message) VALUES (new.id);"
	"END;"
	"DROP TRIGGER messages_search_gone;"
	"CREATE TRIGGER messages_search_gone AFTER DELETE ON messages BEGIN"
	"  DELETE FROM search_text WHERE message = old.id;"
	"  DELETE FROM search_queue WHERE message = old.id;"
	"END;"
	"DROP TRIGGER attachment_pages_search;"
	"CREATE TRIGGER attachment_pages_search AFTER INSERT ON attachment_pages BEGIN"
	"  INSERT INTO search_queue (attachment, page) VALUES (new.attachment_id, new.page);"
	"END;"
	"DROP TRIGGER attachment_pages_gone;"
	"CREATE TRIGGER attachment_pages_gone AFTER DELETE ON attachment_pages BEGIN"
	"  DELETE FROM search_text WHERE rowid = -(old.attachment_id * 4294967296 + old.page);"
	"  DELETE FROM search_queue WHERE attachment = old.attachment_id AND page = old.page;"
	"END;",
};

const int store_migration_count =
	(int)(sizeof store_migrations / sizeof store_migrations[0]);
