#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <glob.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "sandbox.h"

static struct sandbox *sb;

static void sb_up(void)
{
	sb = sandbox_start();
}

static void sb_down(void)
{
	sandbox_stop(sb);
	sb = NULL;
}

static char *message(const char *to, const char *subject, const char *body)
{
	return xasprintf("From: Test <test@foid.test>\r\nTo: <%s>\r\n"
	                 "Subject: %s\r\nMessage-ID: <%s.%ld@foid.test>\r\n"
	                 "\r\n%s\r\n", to, subject, subject, (long)getpid(), body);
}

/* Sends through one SMTP mode, then reads the message back over IMAP. */
static char *send_and_fetch(enum sandbox_smtp mode, const char *from,
                            const char *to, const char *subject)
{
	char *err = NULL;
	char *msg = message(to, subject, "Please find our request below.");
	ck_assert_msg(sandbox_send(sb, mode, from, to, msg, &err) == 0, "%s", err);
	ck_assert_msg(sandbox_wait_count(sb, to, "INBOX", 1, 20, &err) == 0, "%s", err);
	char *got = sandbox_fetch(sb, to, "INBOX", 1, NULL, &err);
	ck_assert_msg(got != NULL, "%s", err);
	free(msg);
	return got;
}

START_TEST(test_smtp_to_imap_and_imaps)
{
	const char *to = "foi@buckinghamshire.council.test";
	char *err = NULL;
	char *got = send_and_fetch(SANDBOX_SMTP_PLAIN, "team@foid.test", to,
	                           "FOI request 2016-07");
	ck_assert_ptr_nonnull(strstr(got, "\nSubject: FOI request 2016-07\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "\r\n\r\nPlease find our request below.\r\n"));
	size_t len = 0;
	char *tls = sandbox_fetch_tls(sb, sb->host, sb->imaps_port, to, "INBOX", 1,
	                              &len, &err);
	ck_assert_msg(tls != NULL, "%s", err);
	ck_assert_uint_eq(len, strlen(got));
	ck_assert_str_eq(tls, got);
	free(tls);
	free(got);
}
END_TEST

START_TEST(test_submission_starttls)
{
	char *got = send_and_fetch(SANDBOX_SMTP_STARTTLS, "team@foid.test",
	                           "starttls@council.test", "Over STARTTLS");
	ck_assert_ptr_nonnull(strstr(got, "\nSubject: Over STARTTLS\r\n"));
	free(got);
}
END_TEST

START_TEST(test_submission_smtps)
{
	char *got = send_and_fetch(SANDBOX_SMTP_SMTPS, "team@foid.test",
	                           "smtps@council.test", "Over SMTPS");
	ck_assert_ptr_nonnull(strstr(got, "\nSubject: Over SMTPS\r\n"));
	free(got);
}
END_TEST

/* Seconds since the epoch of an IMAP date-time. */
static time_t imap_time(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%d-%b-%Y %H:%M:%S %z", &tm);
	ck_assert_msg(end != NULL, "bad date-time: %s", s);
	long off = tm.tm_gmtoff; /* timegm resets it */
	return timegm(&tm) - off;
}

START_TEST(test_append_keeps_internaldate)
{
	const char *user = "archive@foid.test";
	char *err = NULL;
	char *msg = message(user, "Old reply", "Dated fixture.");
	ck_assert_msg(sandbox_append(sb, user, "Replies/2016", msg, strlen(msg),
	                             "04-Jul-2016 10:00:00 +0100", &err) == 0, "%s", err);
	ck_assert_int_eq(sandbox_count(sb, user, "Replies/2016", &err), 1);
	char *out = sandbox_imap(sb, user, "Replies/2016", "FETCH 1 INTERNALDATE", &err);
	ck_assert_msg(out != NULL, "%s", err);
	const char *d = strstr(out, "INTERNALDATE \"");
	ck_assert_msg(d != NULL, "got: %s", out);
	/* Maildir keeps the instant, not the zone: compare instants. */
	ck_assert_msg(imap_time(d + 14) == imap_time("04-Jul-2016 10:00:00 +0100"),
	              "got: %s", out);
	char *back = sandbox_fetch(sb, user, "Replies/2016", 1, NULL, &err);
	ck_assert_msg(back != NULL, "%s", err);
	ck_assert_str_eq(back, msg);
	free(back);
	free(out);
	free(msg);
}
END_TEST

START_TEST(test_addresses_have_separate_mailboxes)
{
	char *err = NULL;
	char *a = send_and_fetch(SANDBOX_SMTP_PLAIN, "team@foid.test",
	                         "foi@one.council.test", "For one");
	char *b = send_and_fetch(SANDBOX_SMTP_PLAIN, "team@foid.test",
	                         "foi@two.council.test", "For two");
	ck_assert_ptr_nonnull(strstr(a, "Subject: For one\r\n"));
	ck_assert_ptr_nonnull(strstr(b, "Subject: For two\r\n"));
	ck_assert_int_eq(sandbox_count(sb, "foi@one.council.test", "INBOX", &err), 1);
	ck_assert_int_eq(sandbox_count(sb, "foi@two.council.test", "INBOX", &err), 1);
	ck_assert_int_eq(sandbox_count(sb, "nobody@one.council.test", "INBOX", &err), 0);
	free(a);
	free(b);
}
END_TEST

/* Each bad certificate fails verification; the user and mailbox are real,
 * so any other failure would show. */
static void assert_refused(const char *host, int port)
{
	char *err = NULL;
	const char *user = "archive@foid.test";
	char *msg = message(user, "Probe", "x");
	ck_assert_int_eq(sandbox_append(sb, user, "INBOX", msg, strlen(msg), NULL,
	                                &err), 0);
	ck_assert_ptr_null(sandbox_fetch_tls(sb, host, port, user, "INBOX", 1, NULL, &err));
	ck_assert_msg(strstr(err, "SSL peer certificate") != NULL, "%s", err);
	free(err);
	free(msg);
}

START_TEST(test_selfsigned_refused)
{
	assert_refused(sb->imaps_selfsigned_host, sb->imaps_selfsigned_port);
}
END_TEST

START_TEST(test_expired_refused)
{
	assert_refused(sb->imaps_expired_host, sb->imaps_expired_port);
}
END_TEST

START_TEST(test_wronghost_refused)
{
	assert_refused(sb->imaps_wronghost_host, sb->imaps_wronghost_port);
}
END_TEST

static int port_open(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	ck_assert_msg(ok || errno == ECONNREFUSED, "connect: %s", strerror(errno));
	close(fd);
	return ok;
}

/* Processes (not zombies: those have no namespace links) in mount
 * namespace ns, which only the sandbox's servers use. */
static int ns_members(const char *ns)
{
	char *want = xasprintf("mnt:[%s]", ns);
	char link[64];
	glob_t g;
	int n = 0;
	ck_assert_int_eq(glob("/proc/[0-9]*/ns/mnt", 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		ssize_t k = readlink(g.gl_pathv[i], link, sizeof link - 1);
		if (k > 0) {
			link[k] = '\0';
			n += strcmp(link, want) == 0;
		}
	}
	globfree(&g);
	free(want);
	return n;
}

START_TEST(test_stop_leaves_nothing)
{
	struct sandbox *own = sandbox_start();
	int ports[] = { own->smtp_port, own->submission_port, own->smtps_port,
	                own->imap_port, own->imaps_port, own->lmtp_port };
	char *dns = xstrdup(sandbox_get(own, "SANDBOX_DOVECOT_MNTNS"));
	char *sns = xstrdup(sandbox_get(own, "SANDBOX_SMTPD_MNTNS"));
	for (size_t i = 0; i < sizeof ports / sizeof *ports; i++)
		ck_assert_msg(port_open(ports[i]), "port %d closed while running", ports[i]);
	ck_assert_int_gt(ns_members(dns), 0);
	ck_assert_int_gt(ns_members(sns), 0);
	sandbox_stop(own);
	for (size_t i = 0; i < sizeof ports / sizeof *ports; i++)
		ck_assert_msg(!port_open(ports[i]), "port %d still open", ports[i]);
	ck_assert_int_eq(ns_members(dns), 0);
	ck_assert_int_eq(ns_members(sns), 0);
	free(dns);
	free(sns);
}
END_TEST

static Suite *sandbox_suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("mail");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, sb_up, sb_down);
	tcase_add_test(tc, test_smtp_to_imap_and_imaps);
	tcase_add_test(tc, test_submission_starttls);
	tcase_add_test(tc, test_submission_smtps);
	tcase_add_test(tc, test_append_keeps_internaldate);
	tcase_add_test(tc, test_addresses_have_separate_mailboxes);
	tcase_add_test(tc, test_selfsigned_refused);
	tcase_add_test(tc, test_expired_refused);
	tcase_add_test(tc, test_wronghost_refused);
	suite_add_tcase(s, tc);
	TCase *life = tcase_create("lifecycle");
	tcase_set_timeout(life, 60);
	tcase_add_test(life, test_stop_leaves_nothing);
	suite_add_tcase(s, life);
	return s;
}

int main(void)
{
	return fixture_run(sandbox_suite());
}
