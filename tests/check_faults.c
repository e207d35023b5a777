/* Faults against the real sandbox: foid killed while filing mail, the SMTP
 * server gone and back, a full disk when mail arrives. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "round.h"
#include "sandbox.h"
#include "testenv.h"
#include "util.h"

static struct sandbox *sb;
static void sb_up(void) { sb = sandbox_start(); }
static void sb_down(void) { sandbox_stop(sb); }

static struct testenv *env(const char *team)
{
	struct testenv_opts o = { 0 };
	o.smtp_port = sb->smtp_port;
	o.imap_port = sb->imap_port;
	o.password = sb->password;
	o.team = team;
	return testenv_new(&o);
}

static int once(struct testenv *te, const char *crash_at, int after)
{
	char n[16];
	snprintf(n, sizeof n, "%d", after);
	if (crash_at) {
		setenv("FOID_CRASH_AT", crash_at, 1);
		setenv("FOID_CRASH_AFTER", n, 1);
	}
	char *out = NULL, *err = NULL;
	int rc = testenv_run(te, "foid", &out, &err, "--once", NULL);
	unsetenv("FOID_CRASH_AT");
	unsetenv("FOID_CRASH_AFTER");
	free(out);
	free(err);
	return rc;
}

static void sandbox_cmd(const char *what)
{
	char *cmd = xasprintf("bash %s/scripts/sandbox.sh %s %s", fixture_srcdir(), what, sb->dir);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
	free(cmd);
}

/* Killed while storing (mid-batch) and after committing (before flagging),
 * many times: every message stored exactly once, none lost, all flagged,
 * the database intact. */
START_TEST(test_kills_while_filing_mail)
{
	struct testenv *te = env("filing@uni.test");
	char *err = NULL;
	for (int i = 0; i < 120; i++) {
		char *raw = xasprintf("From: a%d@council.test\r\nSubject: reply %d\r\n"
		                      "Message-ID: <r%d@council.test>\r\n\r\nText %d\r\n", i, i, i, i);
		ck_assert_int_eq(sandbox_append(sb, "filing@uni.test", "INBOX", raw, strlen(raw), NULL,
		                                &err), 0);
		free(raw);
	}
	/* Positions count within each run, which resumes where the last
	 * commit left it (batches of 50). */
	static const struct { const char *at; int after; } kills[] = {
		{ "ingest.stored", 1 }, { "ingest.stored", 30 }, { "ingest.stored", 49 },
		{ "ingest.stored", 51 }, { "ingest.stored", 7 }, { "ingest.stored", 50 },
		{ "ingest.committed", 1 },
	};
	int killed = 0;
	for (size_t k = 0; k < sizeof kills / sizeof kills[0]; k++)
		killed += once(te, kills[k].at, kills[k].after) == 128 + 9;
	ck_assert_int_eq(killed, 7);
	ck_assert_int_eq(once(te, NULL, 0), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE direction = 'in'"), 120);
	ck_assert_int_eq(testenv_int(te, "SELECT count(DISTINCT message_id) FROM messages"), 120);
	ck_assert_int_eq(testenv_int(te, "SELECT last_uid FROM mailbox_state"), 120);
	char *flags = sandbox_imap(sb, "filing@uni.test", "INBOX", "SEARCH UNKEYWORD $FoidSeen", &err);
	ck_assert_msg(flags && !strpbrk(flags + strlen("* SEARCH"), "0123456789"), "%s", flags);
	free(flags);
	ck_assert_int_eq(store_integrity_check(te->st, &err), 0);
	free(err);
	testenv_free(te);
}
END_TEST

/* The SMTP server is gone: nothing is lost or failed; when it is back,
 * everything goes. */
START_TEST(test_smtp_server_down_then_back)
{
	struct testenv *te = env("down@uni.test");
	testenv_bodies(te, "name,short_name,email\nA,a,foi@a.down.test\nB,b,foi@b.down.test\n");
	struct round_new rn = { .slug = "d", .kind = "foi", .template_path = "foi-request.txt",
	                        .title = "T" };
	struct buf out = BUF_INIT;
	char *err = NULL;
	int n;
	ck_assert_int_eq(round_create(te->st, te->cfg, &rn, &out, &err), 0);
	ck_assert_int_eq(round_launch(te->st, te->cfg, "d", &n, &out, &err), 0);
	sandbox_cmd("smtpd-down");
	/* Nothing went: --once says so, as a temporary failure. */
	ck_assert_int_eq(once(te, NULL, 0), 75);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE send_state = 'queued'"
	                                 " AND attempts = 0"), 2);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM server_health WHERE server = 'smtp'"
	                                 " AND permanent = 0"), 1);
	sandbox_cmd("smtpd-up");
	ck_assert_int_eq(once(te, NULL, 0), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE send_state = 'sent'"), 2);
	/* Working again: foictl status no longer shows it. */
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM server_health"), 0);
	ck_assert_int_eq(sandbox_wait_count(sb, "foi@a.down.test", "INBOX", 1, 30, &err), 0);
	ck_assert_int_eq(sandbox_wait_count(sb, "foi@b.down.test", "INBOX", 1, 30, &err), 0);
	buf_free(&out);
	free(err);
	testenv_free(te);
}
END_TEST

/* The disk is full when mail arrives: nothing is flagged processed that
 * was not stored, and it is stored once there is room. */
START_TEST(test_full_disk_flags_nothing)
{
	struct testenv *te = env("full@uni.test");
	char *store = te->cfg->storage_dir;
	ck_assert_int_eq(util_mkdirs(store, 0700, NULL), 0);
	ck_assert_msg(mount("tmpfs", store, "tmpfs", 0, "size=64k") == 0, "mount tmpfs");
	struct buf big = BUF_INIT;
	buf_adds(&big, "From: a@council.test\r\nSubject: big\r\nMessage-ID: <big@council.test>\r\n\r\n");
	for (int i = 0; i < 3000; i++)
		buf_adds(&big, "0123456789012345678901234567890123456789012345678901234567890123\r\n");
	char *err = NULL;
	ck_assert_int_eq(sandbox_append(sb, "full@uni.test", "INBOX", big.data, big.len, NULL, &err), 0);
	once(te, NULL, 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages"), 0);
	char *flags = sandbox_imap(sb, "full@uni.test", "INBOX", "FETCH 1 FLAGS", &err);
	ck_assert_msg(flags && !strstr(flags, "$FoidSeen"), "%s", flags);
	free(flags);
	ck_assert_int_eq(umount(store), 0);
	ck_assert_int_eq(once(te, NULL, 0), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE raw_size > 64000"), 1);
	flags = sandbox_imap(sb, "full@uni.test", "INBOX", "FETCH 1 FLAGS", &err);
	ck_assert_msg(flags && strstr(flags, "$FoidSeen"), "%s", flags);
	free(flags);
	buf_free(&big);
	free(err);
	testenv_free(te);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("faults");
	tcase_set_timeout(tc, 180);
	tcase_add_unchecked_fixture(tc, sb_up, sb_down);
	tcase_add_test(tc, test_kills_while_filing_mail);
	tcase_add_test(tc, test_smtp_server_down_then_back);
	tcase_add_test(tc, test_full_disk_flags_nothing);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
