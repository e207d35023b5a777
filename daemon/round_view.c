#include "round_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "store.h"
#include "util.h"

int round_view_regime(const struct config *cfg, const char *regime,
                      struct deadline_regime *out, char **errp)
{
	int rc = deadline_regime_parse(regime ? regime : "", out, errp);
	if (rc)
		return rc;
	if (cfg->timezone)
		snprintf(out->tz, sizeof out->tz, "%s", cfg->timezone);
	if (cfg->very_overdue_days)
		out->very_overdue = cfg->very_overdue_days;
	return FOID_OK;
}

struct round_view_head {
	struct round_view *v;
	char *regime;
};

static int round_view_head_cb(const struct store_row *row, void *arg)
{
	struct round_view_head *hd = arg;
	struct round_view *v = hd->v;
	v->id = store_row_int(row, 0);
	store_row_texts(row, 1, (char **const[]){ &v->slug, &v->kind, &v->state,
		&v->title, &v->closes_on, NULL });
	v->launched_at = store_row_int(row, 6);
	hd->regime = xstrdup(store_row_text(row, 7));
	return 0;
}

static int round_view_row_cb(const struct store_row *row, void *arg)
{
	struct round_view *v = arg;
	v->rows = xrealloc(v->rows, (v->nrows + 1) * sizeof *v->rows);
	struct round_view_row *r = &v->rows[v->nrows++];
	r->request_id = store_row_int(row, 0);
	store_row_texts(row, 1, (char **const[]){ &r->reference, &r->their_reference,
		&r->delivery, NULL });
	r->sent_at = store_row_int(row, 4);
	r->withdrawn_at = store_row_int(row, 5);
	store_row_texts(row, 6, (char **const[]){ &r->due_date, &r->short_name,
		&r->name, &r->email, &r->body_kind, &r->region, NULL });
	return 0;
}

int round_view_load(struct store *st, const struct config *cfg,
                    const struct holidays *h, const char *slug, int64_t id,
                    struct round_view **out, char **errp)
{
	struct round_view *v = xcalloc(1, sizeof *v);
	struct round_view_head hd = { v, NULL };
	v->holidays = h;
	v->review_below = cfg->review_below;
	int rc = store_query(st, errp, round_view_head_cb, &hd,
	                     "SELECT id, slug, kind, state, title, closes_on,"
	                     " coalesce(launched_at, 0), regime FROM rounds"
	                     " WHERE (? IS NULL AND id = ?) OR slug = ?", "sIs",
	                     slug, id, slug);
	if (rc == FOID_OK && !v->slug)
		rc = slug ? err_set(errp, FOID_ENOTFOUND, "no round \"%s\" (see foictl status)", slug)
		          : err_set(errp, FOID_ENOTFOUND, "no round %lld", (long long)id);
	if (rc == FOID_OK)
		rc = round_view_regime(cfg, hd.regime, &v->regime, errp);
	if (rc == FOID_OK)
		rc = store_query(st, errp, round_view_row_cb, v,
		                 "SELECT q.id, q.reference, q.their_reference, q.delivery,"
		                 " coalesce(q.sent_at, 0), coalesce(q.withdrawn_at, 0),"
		                 " q.due_date, b.short_name, b.name, b.email, b.kind, b.region"
		                 " FROM requests q JOIN bodies b ON b.id = q.body_id"
		                 " WHERE q.round_id = ? ORDER BY q.seq", "I", v->id);
	free(hd.regime);
	if (rc) {
		round_view_free(v);
		return rc;
	}
	*out = v;
	return FOID_OK;
}

void round_view_free(struct round_view *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nrows; i++) {
		struct round_view_row *r = &v->rows[i];
		free(r->reference);
		free(r->their_reference);
		free(r->delivery);
		free(r->due_date);
		free(r->short_name);
		free(r->name);
		free(r->email);
		free(r->body_kind);
		free(r->region);
	}
	free(v->rows);
	free(v->slug);
	free(v->kind);
	free(v->state);
	free(v->title);
	free(v->closes_on);
	free(v);
}
