#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fixture.h"
#include "sandbox.h"
#include "smtp.h"
#include "smtppeer.h"
#include "util.h"

static struct config_server server(const char *host, int port, int security)
{
	struct config_server srv = {
		.host = (char *)host, .port = port, .security = security, .timeout = 10,
	};
	return srv;
}

static struct smtp *client(const struct config_server *srv)
{
	struct smtp *s = NULL;
	char *err = NULL;
	ck_assert_msg(smtp_new(srv, &s, &err) == 0, "%s", err);
	return s;
}

static const char *const one_rcpt[] = { "bob@peer.test" };
static const char small_msg[] =
	"From: a@peer.test\r\nTo: bob@peer.test\r\nSubject: t\r\n\r\nhello\r\n";

static int send_small(struct smtp *s, struct smtp_result *res, char **err)
{
	return smtp_send(s, "a@peer.test", one_rcpt, 1, small_msg, strlen(small_msg),
	                 res, err);
}

START_TEST(test_peer_reuses_one_connection)
{
	struct peer p = { 0 };
	peer_start(&p);
	struct config_server srv = server("127.0.0.1", p.port, SEC_PLAIN);
	struct smtp *s = client(&srv);
	struct smtp_result res;
	char *err = NULL;
	for (int i = 1; i <= 5; i++) {
		ck_assert_msg(send_small(s, &res, &err) == 0, "%s", err);
		ck_assert_int_eq(res.code, 250);
		ck_assert_int_eq(res.stage, SMTP_STAGE_NONE);
		char *want = xasprintf("250 2.0.0 QID%04d Message accepted for delivery", i);
		ck_assert_str_eq(res.reply, want);
		free(want);
	}
	ck_assert_uint_eq(smtp_connections(s), 1);
	smtp_free(s);
	peer_stop(&p, NULL);
	ck_assert_int_eq(p.connections, 1);
	ck_assert_int_eq(p.accepted, 5);
}
END_TEST

START_TEST(test_peer_reset_reconnects)
{
	struct peer p = { 0 };
	peer_start(&p);
	struct config_server srv = server("127.0.0.1", p.port, SEC_PLAIN);
	struct smtp *s = client(&srv);
	struct smtp_result res;
	char *err = NULL;
	ck_assert_msg(send_small(s, &res, &err) == 0, "%s", err);
	smtp_reset(s);
	ck_assert_msg(send_small(s, &res, &err) == 0, "%s", err);
	ck_assert_uint_eq(smtp_connections(s), 2);
	smtp_free(s);
	peer_stop(&p, NULL);
	ck_assert_int_eq(p.connections, 2);
	ck_assert_int_eq(p.accepted, 2);
}
END_TEST

START_TEST(test_peer_dot_stuffing)
{
	struct peer p = { 0 };
	peer_start(&p);
	struct config_server srv = server("127.0.0.1", p.port, SEC_PLAIN);
	struct smtp *s = client(&srv);
	static const char msg[] = "Subject: dots\r\n\r\n.leading\r\n.\r\nend\r\n";
	struct smtp_result res;
	char *err = NULL;
	ck_assert_msg(smtp_send(s, "a@peer.test", one_rcpt, 1, msg, strlen(msg), &res,
	                        &err) == 0, "%s", err);
	smtp_free(s);
	char *got = NULL;
	peer_stop(&p, &got);
	ck_assert_str_eq(got, "Subject: dots\r\n\r\n..leading\r\n..\r\nend\r\n");
	free(got);
}
END_TEST

START_TEST(test_peer_session_limit_reconnects)
{
	struct peer p = { .max_mails = 2 };
	peer_start(&p);
	struct config_server srv = server("127.0.0.1", p.port, SEC_PLAIN);
	struct smtp *s = client(&srv);
	struct smtp_result res;
	char *err = NULL;
	for (int i = 0; i < 5; i++)
		ck_assert_msg(send_small(s, &res, &err) == 0, "message %d: %s", i, err);
	ck_assert_uint_eq(smtp_connections(s), 3);
	smtp_free(s);
	peer_stop(&p, NULL);
	ck_assert_int_eq(p.accepted, 5);
	ck_assert_int_eq(p.connections, 3);
}
END_TEST

START_TEST(test_peer_451_is_temporary)
{
	struct peer p = { .rcpt_first = "451 4.7.1 Greylisted, try again later" };
	peer_start(&p);
	struct config_server srv = server("127.0.0.1", p.port, SEC_PLAIN);
	struct smtp *s = client(&srv);
	struct smtp_result res;
	char *err = NULL;
	ck_assert_int_eq(send_small(s, &res, &err), FOID_ETEMP);
	ck_assert_int_eq(res.code, 451);
	ck_assert_int_eq(res.stage, SMTP_STAGE_RCPT);
	ck_assert_str_eq(res.reply, "451 4.7.1 Greylisted, try again later");
	ck_assert_ptr_nonnull(strstr(err, "451 4.7.1 Greylisted"));
	/* The handle stays usable. */
	ck_assert_msg(send_small(s, &res, &err) == 0, "%s", err);
	ck_assert_int_eq(res.code, 250);
	free(err);
	smtp_free(s);
	peer_stop(&p, NULL);
	ck_assert_int_eq(p.accepted, 1);
}
END_TEST

START_TEST(test_peer_550_is_permanent)
{
	struct peer p = { .rcpt_always = "550 5.1.1 <bob@peer.test>: no such user" };
	peer_start(&p);
	struct config_server srv = server("127.0.0.1", p.port, SEC_PLAIN);
	struct smtp *s = client(&srv);
	struct smtp_result res;
	char *err = NULL;
	ck_assert_int_eq(send_small(s, &res, &err), FOID_EPERM);
	ck_assert_int_eq(res.code, 550);
	ck_assert_int_eq(res.stage, SMTP_STAGE_RCPT);
	/* One recipient's refusal is the message's, not the server's. */
	ck_assert_int_eq(res.cause, HEALTH_NONE);
	ck_assert_ptr_nonnull(strstr(res.reply, "no such user"));
	ck_assert_ptr_nonnull(strstr(err, "550 5.1.1 <bob@peer.test>: no such user"));
	free(err);
	smtp_free(s);
	peer_stop(&p, NULL);
	ck_assert_int_eq(p.accepted, 0);
}
END_TEST

/* A refused sender concerns every message: the server's fault to show. */
START_TEST(test_peer_mail_550_is_the_sender)
{
	struct peer p = { .mail_always = "550 5.7.1 <team@uni.test>: sender not allowed" };
	peer_start(&p);
	struct config_server srv = server("127.0.0.1", p.port, SEC_PLAIN);
	struct smtp *s = client(&srv);
	struct smtp_result res;
	char *err = NULL;
	ck_assert_int_eq(send_small(s, &res, &err), FOID_EPERM);
	ck_assert_int_eq(res.code, 550);
	ck_assert_int_eq(res.stage, SMTP_STAGE_MAIL);
	ck_assert_int_eq(res.cause, HEALTH_SENDER);
	ck_assert_ptr_nonnull(strstr(err, "MAIL FROM refused"));
	free(err);
	smtp_free(s);
	peer_stop(&p, NULL);
	ck_assert_int_eq(p.rcpts, 0);
}
END_TEST

START_TEST(test_peer_421_greeting_is_temporary)
{
	struct peer p = { .greeting = "421 4.3.2 Service not available" };
	peer_start(&p);
	struct config_server srv = server("127.0.0.1", p.port, SEC_PLAIN);
	struct smtp *s = client(&srv);
	struct smtp_result res;
	char *err = NULL;
	ck_assert_int_eq(send_small(s, &res, &err), FOID_ETEMP);
	ck_assert_int_eq(res.code, 421);
	ck_assert_int_eq(res.stage, SMTP_STAGE_CONNECT);
	ck_assert_int_eq(res.cause, HEALTH_TEMP);
	ck_assert_ptr_nonnull(strstr(err, "421 4.3.2"));
	free(err);
	smtp_free(s);
	peer_stop(&p, NULL);
}
END_TEST

START_TEST(test_peer_drop_after_data_is_unknown_fate)
{
	struct peer p = { .drop_after_dot = 1 };
	peer_start(&p);
	struct config_server srv = server("127.0.0.1", p.port, SEC_PLAIN);
	struct smtp *s = client(&srv);
	struct smtp_result res;
	char *err = NULL;
	ck_assert_int_eq(send_small(s, &res, &err), FOID_ETEMP);
	ck_assert_int_eq(res.stage, SMTP_STAGE_DATA);
	ck_assert_int_eq(res.maybe_sent, 1);
	ck_assert_ptr_nonnull(strstr(err, "may have been delivered"));
	free(err);
	smtp_free(s);
	peer_stop(&p, NULL);
}
END_TEST

START_TEST(test_starttls_required_not_offered)
{
	struct peer p = { 0 };
	peer_start(&p);
	struct config_server srv = server("127.0.0.1", p.port, SEC_STARTTLS);
	struct smtp *s = client(&srv);
	struct smtp_result res;
	char *err = NULL;
	ck_assert_int_eq(send_small(s, &res, &err), FOID_EPERM);
	ck_assert_int_eq(res.stage, SMTP_STAGE_CONNECT);
	ck_assert_int_eq(res.cause, HEALTH_REFUSED);
	ck_assert_ptr_nonnull(strstr(err, "STARTTLS"));
	free(err);
	smtp_free(s);
	peer_stop(&p, NULL);
	ck_assert_int_eq(p.mails, 0);
}
END_TEST

START_TEST(test_closed_port_is_temporary)
{
	int port;
	close(peer_listen_loopback(&port));
	struct config_server srv = server("127.0.0.1", port, SEC_PLAIN);
	struct smtp *s = client(&srv);
	struct smtp_result res;
	char *err = NULL;
	ck_assert_int_eq(send_small(s, &res, &err), FOID_ETEMP);
	ck_assert_int_eq(res.stage, SMTP_STAGE_CONNECT);
	ck_assert_int_eq(res.cause, HEALTH_TEMP);
	ck_assert_int_eq(res.code, 0);
	ck_assert_ptr_nonnull(err);
	free(err);
	smtp_free(s);
}
END_TEST

START_TEST(test_silent_server_times_out)
{
	/* The kernel completes the handshake; nobody ever writes. */
	int port;
	int fd = peer_listen_loopback(&port);
	struct config_server srv = server("127.0.0.1", port, SEC_PLAIN);
	srv.timeout = 1;
	struct smtp *s = client(&srv);
	struct smtp_result res;
	char *err = NULL;
	ck_assert_int_eq(send_small(s, &res, &err), FOID_ETEMP);
	ck_assert_int_eq(res.stage, SMTP_STAGE_CONNECT);
	ck_assert_ptr_nonnull(err);
	free(err);
	smtp_free(s);
	close(fd);
}
END_TEST

START_TEST(test_bad_addresses_refused)
{
	struct config_server srv = server("127.0.0.1", 25, SEC_PLAIN);
	struct smtp *s = client(&srv);
	struct smtp_result res;
	char *err = NULL;
	const char *const evil[] = { "bob@x.test>\r\nRCPT TO:<eve@x.test" };
	ck_assert_int_eq(smtp_send(s, "a@x.test", evil, 1, "x\r\n", 3, &res, &err),
	                 FOID_EINVAL);
	ck_assert_int_eq(smtp_send(s, "a@x.test", evil, 0, "x\r\n", 3, &res, &err),
	                 FOID_EINVAL);
	ck_assert_int_eq(smtp_send(s, "a\r\n@x.test", one_rcpt, 1, "x\r\n", 3, &res, &err),
	                 FOID_EINVAL);
	ck_assert_ptr_nonnull(err);
	free(err);
	smtp_free(s);
	smtp_free(NULL);
}
END_TEST

/* ---- Against the sandbox: OpenSMTPD (plain, no STARTTLS) and Dovecot's
 * submission service (STARTTLS or implicit TLS, AUTH), read back over IMAP. */

static struct sandbox *sb;
static void sb_up(void) { sb = sandbox_start(); }
static void sb_down(void) { sandbox_stop(sb); }

static struct config_server sandbox_server(enum sandbox_smtp mode, const char *user)
{
	struct config_server srv = server(sb->host, sb->smtp_port, SEC_PLAIN);
	if (mode == SANDBOX_SMTP_PLAIN)
		return srv;
	srv.port = mode == SANDBOX_SMTP_STARTTLS ? sb->submission_port : sb->smtps_port;
	srv.security = mode == SANDBOX_SMTP_STARTTLS ? SEC_STARTTLS : SEC_TLS;
	srv.username = (char *)user;
	srv.password = sb->password;
	srv.ca_file = sb->ca;
	return srv;
}

static void wait_one(const char *user)
{
	char *err = NULL;
	ck_assert_msg(sandbox_wait_count(sb, user, "INBOX", 1, 30, &err) == 0, "%s", err);
	ck_assert_int_eq(sandbox_count(sb, user, "INBOX", NULL), 1);
}

static const char exact_msg[] =
	"From: foi@sandbox.test\r\n"
	"To: exact@sandbox.test\r\n"
	"Subject: Freedom of Information request\r\n"
	"Message-ID: <exact-1@foid.test>\r\n"
	"\r\n"
	"Dear council,\r\n"
	".a line that starts with a dot\r\n"
	".\r\n"
	"..two dots\r\n"
	"\r\n"
	"Yours faithfully\r\n";

START_TEST(test_delivered_byte_exact)
{
	struct config_server srv = sandbox_server(SANDBOX_SMTP_PLAIN, NULL);
	struct smtp *s = client(&srv);
	const char *const rcpt[] = { "exact@sandbox.test" };
	struct smtp_result res;
	char *err = NULL;
	ck_assert_msg(smtp_send(s, "foi@sandbox.test", rcpt, 1, exact_msg,
	                        strlen(exact_msg), &res, &err) == 0, "%s", err);
	smtp_free(s);
	/* "250 2.0.0 <queue id> Message accepted for delivery" */
	ck_assert_int_eq(res.code, 250);
	char qid[32] = "";
	ck_assert_int_eq(sscanf(res.reply, "250 2.0.0 %31s Message accepted", qid), 1);
	wait_one("exact@sandbox.test");
	size_t len = 0;
	char *got = sandbox_fetch(sb, "exact@sandbox.test", "INBOX", 1, &len, &err);
	ck_assert_msg(got != NULL, "%s", err);
	const char *want_body = strstr(exact_msg, "\r\n\r\n");
	const char *body = strstr(got, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	ck_assert_str_eq(body, want_body);
	ck_assert_ptr_nonnull(strstr(got, "Message-ID: <exact-1@foid.test>\r\n"));
	char *received = xasprintf("with ESMTP id %s", qid);
	ck_assert_ptr_nonnull(strstr(got, received));
	free(received);
	free(got);
}
END_TEST

START_TEST(test_starttls_verified_with_test_ca)
{
	struct config_server srv = sandbox_server(SANDBOX_SMTP_STARTTLS, "team@sandbox.test");
	struct smtp *s = client(&srv);
	const char *const rcpt[] = { "starttls@sandbox.test" };
	struct smtp_result res;
	char *err = NULL;
	ck_assert_msg(smtp_send(s, "team@sandbox.test", rcpt, 1, small_msg,
	                        strlen(small_msg), &res, &err) == 0, "%s", err);
	ck_assert_int_eq(res.code, 250);
	smtp_free(s);
	wait_one("starttls@sandbox.test");
}
END_TEST

START_TEST(test_starttls_missing_never_sends_in_clear)
{
	/* OpenSMTPD's listener offers no STARTTLS. */
	struct config_server srv = server(sb->host, sb->smtp_port, SEC_STARTTLS);
	struct smtp *s = client(&srv);
	const char *const rcpt[] = { "clear@sandbox.test" };
	struct smtp_result res;
	char *err = NULL;
	ck_assert_int_eq(smtp_send(s, "team@sandbox.test", rcpt, 1, small_msg,
	                           strlen(small_msg), &res, &err), FOID_EPERM);
	ck_assert_int_eq(res.stage, SMTP_STAGE_CONNECT);
	ck_assert_ptr_nonnull(strstr(err, "does not offer STARTTLS"));
	free(err);
	smtp_free(s);
}
END_TEST

START_TEST(test_wrong_ca_is_permanent)
{
	struct fixture *fx = fixture_new();
	char *key = fixture_path(fx, "other.key");
	char *ca = fixture_path(fx, "other-ca.pem");
	char *const argv[] = {
		"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
		"ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=Unrelated test CA",
		"-days", "2", "-keyout", key, "-out", ca, NULL,
	};
	ck_assert_int_eq(fixture_exec(fx, argv, NULL, NULL, NULL), 0);
	struct config_server srv = sandbox_server(SANDBOX_SMTP_SMTPS, "team@sandbox.test");
	srv.ca_file = ca;
	struct smtp *s = client(&srv);
	struct smtp_result res;
	char *err = NULL;
	ck_assert_int_eq(send_small(s, &res, &err), FOID_EPERM);
	ck_assert_int_eq(res.stage, SMTP_STAGE_CONNECT);
	ck_assert_int_eq(res.cause, HEALTH_TLS_TRUST);
	ck_assert_ptr_nonnull(strstr(err, "TLS certificate verification failed"));
	ck_assert_ptr_nonnull(strstr(err, ca));
	free(err);
	smtp_free(s);
	free(key);
	free(ca);
	fixture_free(fx);
}
END_TEST

START_TEST(test_wrong_password_is_permanent_and_secret)
{
	static const char secret[] = "not-the-password-8c1f";
	struct config_server srv = sandbox_server(SANDBOX_SMTP_SMTPS, "team@sandbox.test");
	srv.password = (char *)secret;
	struct smtp *s = client(&srv);
	struct smtp_result res;
	char *err = NULL;
	ck_assert_int_eq(send_small(s, &res, &err), FOID_EPERM);
	ck_assert_int_eq(res.code, 535);
	ck_assert_int_eq(res.cause, HEALTH_LOGIN);
	ck_assert_ptr_null(strstr(err, secret));
	ck_assert_ptr_null(strstr(res.reply, secret));
	ck_assert_ptr_nonnull(strstr(err, "team@sandbox.test"));
	free(err);
	smtp_free(s);
}
END_TEST

START_TEST(test_150_messages_cross_session_limit)
{
	enum { N = 150 };
	struct config_server srv = sandbox_server(SANDBOX_SMTP_PLAIN, NULL);
	struct smtp *s = client(&srv);
	char *err = NULL;
	for (int i = 0; i < N; i++) {
		char *to = xasprintf("bulk%03d@sandbox.test", i);
		char *msg = xasprintf("From: foi@sandbox.test\r\nTo: %s\r\n"
		                      "Subject: request %d\r\n\r\nBody %d\r\n", to, i, i);
		const char *const rcpt[] = { to };
		struct smtp_result res;
		ck_assert_msg(smtp_send(s, "foi@sandbox.test", rcpt, 1, msg, strlen(msg),
		                        &res, &err) == 0, "message %d: %s", i, err);
		ck_assert_int_eq(res.code, 250);
		free(msg);
		free(to);
	}
	/* OpenSMTPD takes 100 per session: one reconnect, no more. */
	ck_assert_uint_eq(smtp_connections(s), 2);
	smtp_free(s);
	for (int i = 0; i < N; i++) {
		char *to = xasprintf("bulk%03d@sandbox.test", i);
		ck_assert_msg(sandbox_wait_count(sb, to, "INBOX", 1, 60, &err) == 0, "%s", err);
		free(to);
	}
	for (int i = 0; i < N; i++) {
		char *to = xasprintf("bulk%03d@sandbox.test", i);
		ck_assert_int_eq(sandbox_count(sb, to, "INBOX", NULL), 1);
		free(to);
	}
}
END_TEST

START_TEST(test_rcpt_rejected_550)
{
	/* sandbox.sh rejects the local part reject550 at RCPT. */
	struct config_server srv = sandbox_server(SANDBOX_SMTP_PLAIN, NULL);
	struct smtp *s = client(&srv);
	const char *const rcpt[] = { "reject550@sandbox.test" };
	struct smtp_result res;
	char *err = NULL;
	ck_assert_int_eq(smtp_send(s, "foi@sandbox.test", rcpt, 1, small_msg,
	                           strlen(small_msg), &res, &err), FOID_EPERM);
	ck_assert_int_eq(res.code, 550);
	ck_assert_int_eq(res.stage, SMTP_STAGE_RCPT);
	ck_assert_ptr_nonnull(strstr(err, res.reply));
	ck_assert_ptr_nonnull(strstr(err, "550"));
	free(err);
	smtp_free(s);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("smtp");
	TCase *tc = tcase_create("peer");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_peer_reuses_one_connection);
	tcase_add_test(tc, test_peer_reset_reconnects);
	tcase_add_test(tc, test_peer_dot_stuffing);
	tcase_add_test(tc, test_peer_session_limit_reconnects);
	tcase_add_test(tc, test_peer_451_is_temporary);
	tcase_add_test(tc, test_peer_550_is_permanent);
	tcase_add_test(tc, test_peer_mail_550_is_the_sender);
	tcase_add_test(tc, test_peer_421_greeting_is_temporary);
	tcase_add_test(tc, test_peer_drop_after_data_is_unknown_fate);
	tcase_add_test(tc, test_starttls_required_not_offered);
	tcase_add_test(tc, test_closed_port_is_temporary);
	tcase_add_test(tc, test_silent_server_times_out);
	tcase_add_test(tc, test_bad_addresses_refused);
	suite_add_tcase(su, tc);

	tc = tcase_create("sandbox");
	tcase_set_timeout(tc, 300);
	tcase_add_unchecked_fixture(tc, sb_up, sb_down);
	tcase_add_test(tc, test_delivered_byte_exact);
	tcase_add_test(tc, test_starttls_verified_with_test_ca);
	tcase_add_test(tc, test_starttls_missing_never_sends_in_clear);
	tcase_add_test(tc, test_wrong_ca_is_permanent);
	tcase_add_test(tc, test_wrong_password_is_permanent_and_secret);
	tcase_add_test(tc, test_150_messages_cross_session_limit);
	tcase_add_test(tc, test_rcpt_rejected_550);
	suite_add_tcase(su, tc);
	return fixture_run(su);
}
