/* foictl status: where every request of a round stands; foictl confirm:
 * a person settles a send whose outcome is unknown. */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "ctl.h"
#include "round.h"
#include "send.h"
#include "store.h"
#include "util.h"

/* Delivery states that need a person first, then the rest. */
#define CTL_STATUS_ORDER \
	"CASE q.delivery WHEN 'unconfirmed' THEN 0 WHEN 'failed' THEN 1" \
	" WHEN 'bounced' THEN 2 WHEN 'queued' THEN 3 WHEN 'sending' THEN 3" \
	" WHEN 'draft' THEN 4 ELSE 5 END"

static int ctl_status_row(const struct store_row *row, void *arg)
{
	FILE *out = arg;
	const char *detail = store_row_text(row, 4);
	fprintf(out, "%-22.22s %-15.15s %-11s %-10s %.18s\n", store_row_text(row, 0),
	        store_row_text(row, 1), store_row_text(row, 2),
	        store_row_text(row, 3) ? store_row_text(row, 3) : "-",
	        detail ? detail : "");
	return 0;
}

static int ctl_status_total(const struct store_row *row, void *arg)
{
	FILE *out = arg;
	fprintf(out, "%s%s %lld", store_row_int(row, 2) ? " " : ", ",
	        store_row_text(row, 0), (long long)store_row_int(row, 1));
	return 0;
}

static int ctl_status_round(struct ctl *c, struct store *st, const char *slug)
{
	int64_t id;
	char *err = NULL;
	int rc = round_id(st, slug, &id, &err);
	if (rc)
		goto out;
	fprintf(c->out, "round %s:", slug);
	rc = store_query(st, &err, ctl_status_total, c->out,
	                 "SELECT q.delivery, count(*),"
	                 " row_number() OVER (ORDER BY min(" CTL_STATUS_ORDER ")) = 1"
	                 " FROM requests q WHERE q.round_id = ? GROUP BY q.delivery"
	                 " ORDER BY min(" CTL_STATUS_ORDER ")", "I", id);
	fputc('\n', c->out);
	if (rc)
		goto out;
	int64_t unconfirmed = 0;
	store_query_int(st, NULL, &unconfirmed,
	                "SELECT count(*) FROM requests WHERE round_id = ?"
	                " AND delivery = 'unconfirmed'", "I", id);
	if (unconfirmed)
		fprintf(c->out, "%lld unconfirmed: foid could not tell whether the "
		        "server took them.\n  Settle each with: foictl confirm %s "
		        "SHORT_NAME --sent | --resend\n", (long long)unconfirmed, slug);
	fprintf(c->out, "%-22s %-15s %-11s %-10s %s\n", "body", "reference",
	        "delivery", "due", "detail");
	rc = store_query(st, &err, ctl_status_row, c->out,
	                 "SELECT b.short_name, q.reference, q.delivery, q.due_date,"
	                 " q.delivery_detail FROM requests q JOIN bodies b"
	                 " ON b.id = q.body_id WHERE q.round_id = ?"
	                 " ORDER BY " CTL_STATUS_ORDER ", q.seq", "I", id);
out:
	if (rc)
		rc = ctl_fail("status", rc, err);
	free(err);
	return rc;
}

static int ctl_status_list(const struct store_row *row, void *arg)
{
	FILE *out = arg;
	fprintf(out, "%-16s %-7s %-9s %5lld requests, %lld sent, %lld unconfirmed\n",
	        store_row_text(row, 0), store_row_text(row, 1), store_row_text(row, 2),
	        (long long)store_row_int(row, 3), (long long)store_row_int(row, 4),
	        (long long)store_row_int(row, 5));
	return 0;
}

int ctl_status(struct ctl *c, int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		int help = argc == 2 && strcmp(argv[1], "--help") == 0;
		fputs("usage: foictl status [ROUND]\n", help ? c->out : stderr);
		return help ? EX_OK : EX_USAGE;
	}
	struct store *st = ctl_store(c);
	if (!st)
		return EX_CONFIG;
	if (argc == 2)
		return ctl_status_round(c, st, argv[1]);
	char *err = NULL;
	int rc = store_query(st, &err, ctl_status_list, c->out,
	                     "SELECT r.slug, r.kind, r.state, count(q.id),"
	                     " count(q.id) FILTER (WHERE q.delivery = 'sent'),"
	                     " count(q.id) FILTER (WHERE q.delivery = 'unconfirmed')"
	                     " FROM rounds r LEFT JOIN requests q ON q.round_id = r.id"
	                     " GROUP BY r.id ORDER BY r.created_at", NULL);
	if (rc)
		rc = ctl_fail("status", rc, err);
	free(err);
	return rc;
}

int ctl_confirm(struct ctl *c, int argc, char **argv)
{
	static const char usage[] =
		"usage: foictl confirm ROUND SHORT_NAME --sent [--note TEXT]\n"
		"       foictl confirm ROUND SHORT_NAME --resend\n"
		"Settles a request whose send foid could not confirm: --sent when you\n"
		"know it arrived (e.g. the body acknowledged it), --resend to queue the\n"
		"same message again.\n";
	const char *note = NULL;
	int sent = 0, resend = 0;
	const char *pos[2] = { NULL, NULL };
	int npos = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--sent") == 0) {
			sent = 1;
		} else if (strcmp(argv[i], "--resend") == 0) {
			resend = 1;
		} else if (strcmp(argv[i], "--note") == 0 && i + 1 < argc) {
			note = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0) {
			fputs(usage, c->out);
			return EX_OK;
		} else if (argv[i][0] != '-' && npos < 2) {
			pos[npos++] = argv[i];
		} else {
			fputs(usage, stderr);
			return EX_USAGE;
		}
	}
	if (npos != 2 || sent == resend) {
		fputs(usage, stderr);
		return EX_USAGE;
	}
	struct store *st = ctl_store(c);
	if (!st)
		return EX_CONFIG;
	char *err = NULL, *mid = NULL;
	int rc = store_query_text(st, &err, &mid,
	                          "SELECT m.message_id FROM messages m"
	                          " JOIN requests q ON q.id = m.request_id"
	                          " JOIN rounds r ON r.id = q.round_id"
	                          " JOIN bodies b ON b.id = q.body_id"
	                          " WHERE r.slug = ? AND b.short_name = ?"
	                          " AND m.purpose = 'request' AND m.direction = 'out'",
	                          "ss", pos[0], pos[1]);
	if (rc == FOID_ENOTFOUND)
		err_set(&err, rc, "round %s has no queued request to %s", pos[0], pos[1]);
	if (rc == FOID_OK && sent) {
		char *proof = xasprintf("confirmed by a person%s%s", note ? ": " : "",
		                        note ? note : "");
		rc = send_confirm(st, c->cfg, mid, proof, "foictl", &err);
		free(proof);
	} else if (rc == FOID_OK) {
		rc = send_resend(st, mid, "foictl", &err);
	}
	if (rc == FOID_OK)
		fprintf(c->out, "%s %s: %s\n", pos[0], pos[1],
		        sent ? "marked sent" : "queued again; foid will send it");
	else
		rc = ctl_fail("confirm", rc, err);
	free(mid);
	free(err);
	return rc;
}
