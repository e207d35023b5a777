/* foictl clarify, extend and withdraw: what a person decides about a
 * request's clock.  Every change lands in the event log with its reason. */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "ctl.h"
#include "deadline.h"
#include "message.h"
#include "remind.h"
#include "round.h"
#include "send.h"
#include "store.h"
#include "util.h"

/* Parses "ROUND SHORT_NAME [--opt VALUE]..." with the given value options;
 * values[i] receives the value of names[i], pos the two operands.  Returns
 * CTL_ARGS_RUN or the exit status, as ctl_args_parse. */
static int ctl_clock_args(struct ctl *c, const char *cmd, const char *const *names,
                          const char **values, const char **pos, int argc,
                          char **argv)
{
	struct ctl_opt opts[3] = { { NULL, NULL, NULL } };
	for (int k = 0; names[k] && k < 2; k++) {
		opts[k].name = names[k];
		opts[k].value = &values[k];
	}
	int ex = ctl_args_parse(c, cmd, opts, 2, 2, argc, argv, NULL);
	if (ex == CTL_ARGS_RUN) {
		pos[0] = argv[1];
		pos[1] = argv[2];
	}
	return ex;
}

int ctl_clarify(struct ctl *c, int argc, char **argv)
{
	static const char *const opts[] = { "--file", "--template", NULL };
	const char *values[2] = { NULL, "clarification-reply.txt" };
	const char *pos[2] = { NULL, NULL };
	int ex = ctl_clock_args(c, "clarify", opts, values, pos, argc, argv);
	if (ex != CTL_ARGS_RUN)
		return ex;
	if (!values[0])
		return ctl_usage_error("clarify", "--file is required");
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	char *err = NULL, *text = NULL, *theirs = NULL;
	size_t len = 0;
	int64_t req = 0, row = 0;
	int rc = util_read_file(values[0], &text, &len, &err);
	if (rc == FOID_OK && !util_utf8_valid(text, len))
		rc = err_set(&err, FOID_EINVAL, "%s: not valid UTF-8", values[0]);
	if (rc == FOID_OK)
		rc = ctl_request_id(st, pos[0], pos[1], &req, &err);
	if (rc == FOID_OK &&
	    store_query_text(st, NULL, &theirs,
	                     "SELECT message_id FROM messages WHERE request_id = ?"
	                     " AND direction = 'in' AND kind = 'clarification'"
	                     " ORDER BY internaldate DESC LIMIT 1", "I", req) != FOID_OK)
		fprintf(stderr, "foictl clarify: %s %s has sent no clarification request; "
		        "the answer is threaded to our request\n", pos[0], pos[1]);
	if (rc == FOID_OK) {
		struct round_extra extra[] = { { "clarification.text", util_trim(text) },
		                               { NULL, NULL } };
		struct round_followup fu = { values[1], "clarification", theirs, NULL, NULL,
		                             extra, "foictl" };
		rc = round_queue_followup(st, c->cfg, req, &fu, &row, &err);
	}
	if (rc == FOID_OK)
		fprintf(c->out, "%s %s: answer queued (message #%lld); foid sends it and "
		        "the clock restarts that day\n", pos[0], pos[1], (long long)row);
	else
		rc = ctl_fail("clarify", rc, err);
	free(theirs);
	free(text);
	free(err);
	return rc;
}

int ctl_extend(struct ctl *c, int argc, char **argv)
{
	static const char *const opts[] = { "--days", "--reason", NULL };
	const char *values[2] = { NULL, NULL };
	const char *pos[2] = { NULL, NULL };
	char *end = NULL;
	long days = 0;
	int ex = ctl_clock_args(c, "extend", opts, values, pos, argc, argv);
	if (ex != CTL_ARGS_RUN)
		return ex;
	if (!values[0] || !values[1])
		return ctl_usage_error("extend", "--days and --reason are required");
	days = strtol(values[0], &end, 10);
	if (*end || days < 1 || days > 365)
		return ctl_usage_error("extend", "--days takes 1 to 365");
	if (!message_header_value_ok(values[1]))
		return ctl_usage_error("extend", "--reason must be one line of text");
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	char *err = NULL;
	int64_t req = 0;
	int rc = ctl_request_begin(st, pos, &req, &err);
	char *detail = xasprintf("%ld working days: %s", days, values[1]);
	if (rc == FOID_OK) {
		rc = store_exec(st, &err, "INSERT INTO extensions (request_id, at, days,"
		                " reason, actor) VALUES (?, ?, ?, ?, 'foictl')", "IIIs",
		                req, util_now(), (int64_t)days, values[1]);
		if (rc == FOID_OK)
			rc = store_event(st, &err, 0, req, 0, "request.extended", "foictl",
			                 detail);
		rc = store_finish(st, rc, &err);
	}
	rc = ctl_done(c, "extend", rc, err,
	              "%s %s: extended by %ld working days\n", pos[0], pos[1], days);
	free(detail);
	return rc;
}

int ctl_withdraw(struct ctl *c, int argc, char **argv)
{
	static const char *const opts[] = { "--reason", NULL };
	const char *values[1] = { NULL };
	const char *pos[2] = { NULL, NULL };
	int ex = ctl_clock_args(c, "withdraw", opts, values, pos, argc, argv);
	if (ex != CTL_ARGS_RUN)
		return ex;
	if (values[0] && !message_header_value_ok(values[0]))
		return ctl_usage_error("withdraw", "--reason must be one line of text");
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	char *err = NULL;
	int64_t req = 0;
	int rc = ctl_request_begin(st, pos, &req, &err);
	if (rc == FOID_OK) {
		rc = store_exec(st, &err, "UPDATE requests SET withdrawn_at = ? WHERE id = ?"
		                " AND withdrawn_at IS NULL", "II", util_now(), req);
		if (rc == FOID_OK && store_changes(st) == 0)
			rc = err_set(&err, FOID_EEXIST, "%s %s is withdrawn already", pos[0],
			             pos[1]);
		/* Nothing more of it goes out. */
		if (rc == FOID_OK)
			rc = send_cancel_request(st, req, "foictl", NULL, &err);
		if (rc == FOID_OK)
			rc = store_event(st, &err, 0, req, 0, "request.withdrawn", "foictl",
			                 values[0]);
		rc = store_finish(st, rc, &err);
	}
	return ctl_done(c, "withdraw", rc, err, "%s %s: withdrawn\n", pos[0], pos[1]);
}

int ctl_remind(struct ctl *c, int argc, char **argv)
{
	int dry = 0, nargs = 0;
	const struct ctl_opt opts[] = { { "--dry-run", NULL, &dry }, { NULL, NULL, NULL } };
	struct store *st = NULL;
	int ex = ctl_args_open(c, "remind", opts, 0, 1, argc, argv, &nargs, &st);
	if (ex != CTL_ARGS_RUN)
		return ex;
	const char *slug = nargs ? argv[1] : NULL;
	struct holidays *h = NULL;
	struct buf out = BUF_INIT;
	char *err = NULL;
	int n = 0;
	int rc = holidays_load_data(ctl_data_dir(c), &h, &err);
	if (rc == FOID_OK)
		rc = remind_pass(st, c->cfg, h, slug, util_now(), dry, &out, &n, &err);
	if (rc == FOID_OK) {
		fputs(out.data ? out.data : "", c->out);
		fprintf(c->out, "%d reminder%s %s\n", n, n == 1 ? "" : "s",
		        dry ? "due now (nothing queued)" : "queued");
	} else {
		rc = ctl_fail("remind", rc, err);
	}
	holidays_free(h);
	buf_free(&out);
	free(err);
	return rc;
}
