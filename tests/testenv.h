/* A foid set-up in a temporary directory for tests: a config (data and
 * templates from the source tree), an open store, and bodies. */
#ifndef FOID_TEST_TESTENV_H
#define FOID_TEST_TESTENV_H

#include "config.h"
#include "fixture.h"
#include "store.h"
#include "util.h"

struct testenv {
	struct fixture *fx;
	char *conf_path;
	struct config *cfg;
	struct store *st;
};

struct testenv_opts {
	int smtp_port;        /* 0: a closed port */
	int imap_port;
	const char *imap_host;     /* NULL: 127.0.0.1 */
	const char *imap_security; /* NULL: plain */
	const char *password; /* for both servers; NULL: none */
	const char *extra;    /* appended to the config text */
	const char *smtp_extra; /* added inside smtp = { ... } */
	const char *imap_extra; /* added inside imap = { ... } */
	const char *team_extra; /* added inside team = { ... } */
	const char *team;     /* team address; NULL: research@uni.test */
	const char *srcdir;   /* holds data/ and templates/; NULL: the source tree */
};

/* opts may be NULL.  Asserts on failure. */
struct testenv *testenv_new(const struct testenv_opts *opts);
void testenv_free(struct testenv *te);
/* Imports CSV text (NULL: the 2016 councils); asserts it imports. */
void testenv_bodies(struct testenv *te, const char *csv);
/* Runs foictl or foid with "-c CONFIG" and args (NULL-terminated).
 * Returns the exit status; out/err as fixture_exec. */
int testenv_run(struct testenv *te, const char *prog, char **out, char **err,
                ...);
struct sandbox;
/* For scenarios lived under libfaketime (testenv_at) against the sandbox's
 * servers: TZ=UTC, and the team's digest at 08:00 to digest@uni.test. */
struct testenv *testenv_clock(const struct sandbox *sb);
/* Runs foictl or foid with "-c CONFIG" and args (NULL-terminated), with
 * the clock at `when` (UTC, "YYYY-MM-DD HH:MM:SS") by libfaketime; asserts
 * that it exits 0.  *out, unless out is NULL, receives what it printed. */
void testenv_at(struct testenv *te, const char *when, char **out, const char *prog,
                ...);
/* Waits (polling every 20 ms, up to timeout_s) until the query's integer
 * reaches want; returns the last value seen. */
int64_t testenv_wait_int(struct testenv *te, const char *sql, int64_t want,
                         int timeout_s);
/* Starts foid as a service (-v), logging to the fixture's foid.log. */
int testenv_start_foid(struct testenv *te);
/* An integer from a one-value query; asserts it succeeds. */
int64_t testenv_int(struct testenv *te, const char *sql);

/* Appends len bytes as base64 lines of 76 and a CRLF: attachments of mail
 * a test builds. */
void testenv_base64(struct buf *b, const void *data, size_t len);

#endif
