#include <check.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "fixture.h"

/* These cases are about the rules: they load data/classify.rules from a
 * directory without the model, which check_model and check_corpus test. */
static struct fixture *rules_dir;
static void rules_up(void)
{
	char *src = xasprintf("%s/data/classify.rules", fixture_srcdir()), *text = NULL;
	ck_assert_int_eq(util_read_file(src, &text, NULL, NULL), 0);
	rules_dir = fixture_new();
	free(fixture_write(rules_dir, "classify.rules", text));
	free(text);
	free(src);
}
static void rules_down(void) { fixture_free(rules_dir); }

static struct classify_rules *load_from(const char *path)
{
	struct classify_rules *r = NULL;
	char *err = NULL;
	ck_assert_msg(classify_load(path, &r, &err) == 0, "%s", err);
	return r;
}

static struct classify_rules *load_rules(void)
{
	char *path = fixture_path(rules_dir, "classify.rules");
	struct classify_rules *r = load_from(path);
	free(path);
	return r;
}

static struct mime_message *parse_file(const char *path)
{
	char *raw = NULL;
	size_t len = 0;
	ck_assert_msg(util_read_file(path, &raw, &len, NULL) == 0, "%s", path);
	struct mime_message *m = NULL;
	ck_assert_int_eq(mime_parse(raw, len, NULL, &m, NULL), 0);
	free(raw);
	return m;
}

/* Classifies tests/corpus/<rel>. */
static void classify_corpus(const struct classify_rules *r, const char *rel,
                            struct classify_result *res)
{
	char *path = xasprintf("%s/tests/corpus/%s", fixture_srcdir(), rel);
	struct mime_message *m = parse_file(path);
	ck_assert_int_eq(classify_message(r, m, NULL, res), 0);
	mime_message_free(m);
	free(path);
}

static void text_kind(const char *body, const char *want, const char *want_rule)
{
	struct classify_rules *r = load_rules();
	struct classify_result res = CLASSIFY_RESULT_INIT;
	ck_assert_int_eq(classify_text(r, "RE: Freedom of Information request", body, 0,
	                               "FOI-STP16-042", &res), 0);
	ck_assert_msg(!strcmp(res.kind, want), "%s (%s: %s) for: %s", res.kind, res.rule,
	              res.evidence, body);
	if (want_rule)
		ck_assert_str_eq(res.rule, want_rule);
	classify_result_clear(&res);
	classify_rules_free(r);
}

/* ---- with the model ------------------------------------------------------ */

/* With data/classify.model beside the rules, a reply no rule speaks for is
 * the model's: its kind, the phrases that weighed most, a confidence. */
START_TEST(test_model_decides_where_no_rule_speaks)
{
	char *path = xasprintf("%s/data/classify.rules", fixture_srcdir());
	struct classify_rules *r = load_from(path);
	free(path);
	ck_assert(classify_has_model(r));
	struct classify_result res = CLASSIFY_RESULT_INIT;
	ck_assert_int_eq(classify_text(r, "RE: FOI", "Q1. 14\nQ2. Yes, twice in 2016.\n"
	                               "Q3. The chief executive.\n", 0, NULL, &res), 0);
	ck_assert_msg(util_starts_with(res.rule, "model:"), "%s", res.rule);
	ck_assert_msg(res.confidence > 0 && res.confidence < 1, "%f", res.confidence);
	ck_assert_msg(*res.evidence == '"', "%s", res.evidence);
	classify_result_clear(&res);
	classify_rules_free(r);
	/* Without the model the same reply falls back, with no confidence. */
	r = load_rules();
	ck_assert(!classify_has_model(r));
	ck_assert_int_eq(classify_text(r, "RE: FOI", "Q1. 14\nQ2. Yes, twice in 2016.\n", 0,
	                               NULL, &res), 0);
	ck_assert_str_eq(res.rule, "fallback:unmatched");
	ck_assert(res.confidence == 0);
	classify_result_clear(&res);
	classify_rules_free(r);
}
END_TEST

/* With the shipped model, a short clarification in the rules' own words
 * stays a clarification: the model, leaning on "and", "are" and "in",
 * was 0.59 sure it was a response (and the demo's councils were never
 * asked to clarify). */
START_TEST(test_shipped_model_leaves_a_plain_clarification_to_its_rule)
{
	char *path = xasprintf("%s/data/classify.rules", fixture_srcdir());
	struct classify_rules *r = load_from(path);
	free(path);
	ck_assert(classify_has_model(r));
	struct classify_result res = CLASSIFY_RESULT_INIT;
	ck_assert_int_eq(classify_text(r, "Re: Freedom of Information request FOI-STP16-104",
	                               "Dear Jane Researcher,\n\nBefore we can proceed with your "
	                               "request, could you please clarify which financial years "
	                               "you are interested in?\n\nRedcar and Cleveland Council\n",
	                               0, NULL, &res), 0);
	ck_assert_str_eq(res.kind, CLASSIFY_CLARIFICATION);
	ck_assert_msg(util_starts_with(res.rule, "text:clarification:"), "%s", res.rule);
	classify_result_clear(&res);
	classify_rules_free(r);
}
END_TEST

/* Where a rule speaks, the model still decides when it is sure, and the
 * rule when the model is not: a model whose weights are known (the rule's
 * hit weighs a little for refusal, the word "data" much for response). */
START_TEST(test_rule_decides_where_the_model_is_unsure)
{
	char *rules = fixture_path(rules_dir, "classify.rules"), *text = NULL;
	ck_assert_int_eq(util_read_file(rules, &text, NULL, NULL), 0);
	struct fixture *fx = fixture_new();
	free(fixture_write(fx, "classify.rules", text));
	free(fixture_write(fx, "classify.model",
		"kinds acknowledgement clarification extension refusal response other\n"
		"bias 0 0 0 0 0 0\n"
		"r:refusal:section-12 0 0 0 1 0 0\n"
		"w:data 0 0 0 0 5 0\n"));
	char *path = fixture_path(fx, "classify.rules");
	struct classify_rules *r = load_from(path);
	struct classify_result res = CLASSIFY_RESULT_INIT;
	const char *s12 = "The cost of complying would exceed the appropriate limit under section 12.";
	ck_assert_int_eq(classify_text(r, "RE: FOI", s12, 0, NULL, &res), 0);
	ck_assert_str_eq(res.rule, "text:refusal:section-12"); /* the model: 0.35 */
	ck_assert(res.confidence == 1);
	classify_result_clear(&res);
	char *both = xasprintf("%s Here is the data for 2016, which is within it.", s12);
	ck_assert_int_eq(classify_text(r, "RE: FOI", both, 0, NULL, &res), 0);
	ck_assert_str_eq(res.rule, "model:response");
	ck_assert_msg(res.confidence > 0.9, "%f", res.confidence);
	ck_assert_msg(strstr(res.evidence, "\"data\""), "%s", res.evidence);
	classify_result_clear(&res);
	free(both);
	classify_rules_free(r);
	free(path);
	fixture_free(fx);
	free(text);
	free(rules);
}
END_TEST

/* ---- the rules file ------------------------------------------------------ */

START_TEST(test_load_errors_name_file_and_line)
{
	struct fixture *fx = fixture_new();
	char *path = fixture_write(fx, "bad.rules",
	                           "# comment\n\nrefusal s12 body /section 12/\n"
	                           "refusal broken body /(unclosed/\n");
	struct classify_rules *r = NULL;
	char *err = NULL;
	ck_assert_int_eq(classify_load(path, &r, &err), FOID_EINVAL);
	ck_assert_ptr_null(r);
	char *want = xasprintf("%s:4: bad regex", path);
	ck_assert_msg(util_starts_with(err, want), "%s", err);
	free(want);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_load_rejects_unknown_kind_and_where)
{
	struct fixture *fx = fixture_new();
	char *p1 = fixture_write(fx, "a.rules", "rejection s12 body /x/\n");
	char *p2 = fixture_write(fx, "b.rules", "refusal s12 header /x/\n");
	char *p3 = fixture_write(fx, "c.rules", "reference r any /ref: [0-9]+/\n");
	struct classify_rules *r = NULL;
	char *err = NULL;
	ck_assert_int_eq(classify_load(p1, &r, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, ":1: unknown kind 'rejection'"), "%s", err);
	ck_assert_int_eq(classify_load(p2, &r, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, ":1: bad WHERE"), "%s", err);
	ck_assert_int_eq(classify_load(p3, &r, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, ":1: a reference rule needs a (group)"), "%s", err);
	free(err);
	free(p1);
	free(p2);
	free(p3);
	fixture_free(fx);
}
END_TEST

/* A rule's WHERE holds for reference and not-reference rules too. */
START_TEST(test_reference_rules_keep_their_place)
{
	struct fixture *fx = fixture_new();
	char *p = fixture_write(fx, "w.rules",
	                        "reference subj subject /case ([0-9]+)/\n"
	                        "reference body body /ticket ([0-9]+)/\n"
	                        "not-reference n body /case [0-9]+ closed/\n");
	struct classify_rules *r = NULL;
	char *err = NULL;
	ck_assert_msg(classify_load(p, &r, &err) == 0, "%s", err);
	char *ref = classify_reference(r, "case 12", "ticket 34", NULL);
	ck_assert_str_eq(ref, "12");
	free(ref);
	ref = classify_reference(r, "hello", "case 12 then ticket 34", NULL);
	ck_assert_str_eq(ref, "34");
	free(ref);
	ref = classify_reference(r, "ticket 56", "hello", NULL);
	ck_assert_ptr_null(ref);
	/* The body's not-reference rule does not veto a subject reference. */
	ref = classify_reference(r, "case 12 closed", NULL, NULL);
	ck_assert_str_eq(ref, "12");
	free(ref);
	classify_rules_free(r);
	free(p);
	fixture_free(fx);
}
END_TEST

START_TEST(test_load_missing_file)
{
	struct classify_rules *r = NULL;
	char *err = NULL;
	ck_assert_int_eq(classify_load("/nonexistent/classify.rules", &r, &err),
	                 FOID_ENOTFOUND);
	ck_assert_ptr_nonnull(err);
	free(err);
	classify_rules_free(NULL);
}
END_TEST

/* ---- corpus: bounces and automatic mail --------------------------------- */

START_TEST(test_corpus_bounces)
{
	struct classify_rules *r = load_rules();
	char *dir = xasprintf("%s/tests/corpus/bounces", fixture_srcdir());
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d)); ) {
		size_t len = strlen(e->d_name);
		if (len < 4 || strcmp(e->d_name + len - 4, ".eml") != 0)
			continue;
		char *rel = xasprintf("bounces/%s", e->d_name);
		struct classify_result res = CLASSIFY_RESULT_INIT;
		classify_corpus(r, rel, &res);
		if (util_starts_with(e->d_name, "DELAY_"))
			ck_assert_msg(!strcmp(res.kind, CLASSIFY_AUTO_REPLY), "%s: %s (%s)",
			              rel, res.kind, res.rule);
		else if (util_starts_with(e->d_name, "NOT-bounce_"))
			ck_assert_msg(strcmp(res.kind, CLASSIFY_BOUNCE) != 0, "%s: %s (%s)",
			              rel, res.kind, res.rule);
		else
			ck_assert_msg(!strcmp(res.kind, CLASSIFY_BOUNCE) &&
			              res.failed_recipients.n + (res.diagnostic != NULL) > 0,
			              "%s: %s (%s)", rel, res.kind, res.rule);
		ck_assert_uint_le(strlen(res.evidence), CLASSIFY_EVIDENCE_MAX);
		classify_result_clear(&res);
		free(rel);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 40);
	free(dir);
	classify_rules_free(r);
}
END_TEST

START_TEST(test_corpus_autoreplies)
{
	struct classify_rules *r = load_rules();
	char *dir = xasprintf("%s/tests/corpus/autoreplies", fixture_srcdir());
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d)); ) {
		size_t len = strlen(e->d_name);
		if (len < 4 || strcmp(e->d_name + len - 4, ".eml") != 0)
			continue;
		char *rel = xasprintf("autoreplies/%s", e->d_name);
		struct classify_result res = CLASSIFY_RESULT_INIT;
		classify_corpus(r, rel, &res);
		ck_assert_msg(!strcmp(res.kind, CLASSIFY_AUTO_REPLY), "%s: %s (%s)", rel,
		              res.kind, res.rule);
		classify_result_clear(&res);
		free(rel);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 20);
	free(dir);
	classify_rules_free(r);
}
END_TEST

START_TEST(test_delay_evidence_says_no_answer)
{
	struct classify_rules *r = load_rules();
	struct classify_result res = CLASSIFY_RESULT_INIT;
	classify_corpus(r, "bounces/DELAY_bounceparser_warning-8.eml", &res);
	ck_assert_str_eq(res.rule, "dsn:action-delayed");
	ck_assert_ptr_nonnull(strstr(res.evidence, "Action: delayed"));
	ck_assert_ptr_nonnull(strstr(res.evidence, "no answer"));
	ck_assert_uint_eq(res.failed_recipients.n, 0);
	classify_result_clear(&res);
	classify_rules_free(r);
}
END_TEST

/* Values checked by opening the files. */
START_TEST(test_bounce_dsn_details)
{
	struct classify_rules *r = load_rules();
	struct classify_result res = CLASSIFY_RESULT_INIT;
	classify_corpus(r, "bounces/bounceparser_iis-multiple-bounce.eml", &res);
	ck_assert_str_eq(res.kind, CLASSIFY_BOUNCE);
	ck_assert_str_eq(res.rule, "dsn:action-failed");
	ck_assert_uint_eq(res.failed_recipients.n, 4);
	ck_assert_str_eq(res.failed_recipients.v[0], "bounced1@example.net");
	ck_assert_str_eq(res.failed_recipients.v[3], "bounced4@example.net");
	ck_assert_str_eq(res.diagnostic, "550 Requested action not taken: mailbox unavailable");
	ck_assert_str_eq(res.original_message_id, "CNISERVERTrpwACkWHZ00000098@smtp.example.com");
	ck_assert_str_eq(res.original_subject, "Test");
	classify_result_clear(&res);
	classify_rules_free(r);
}
END_TEST

START_TEST(test_bounce_x400_uses_original_recipient)
{
	struct classify_rules *r = load_rules();
	struct classify_result res = CLASSIFY_RESULT_INIT;
	classify_corpus(r, "bounces/flufl_dsn_09.eml", &res);
	ck_assert_str_eq(res.kind, CLASSIFY_BOUNCE);
	ck_assert_uint_eq(res.failed_recipients.n, 1);
	ck_assert_str_eq(res.failed_recipients.v[0], "userx@example.com");
	ck_assert_str_eq(res.original_message_id, "3BE4F1EC.8306C281@nleaudio.com");
	classify_result_clear(&res);
	classify_rules_free(r);
}
END_TEST

START_TEST(test_bounce_exim_text)
{
	struct classify_rules *r = load_rules();
	struct classify_result res = CLASSIFY_RESULT_INIT;
	classify_corpus(r, "bounces/alaveteli_track-response-exim-bounce.eml", &res);
	ck_assert_str_eq(res.kind, CLASSIFY_BOUNCE);
	ck_assert_str_eq(res.rule, "header:x-failed-recipients");
	ck_assert_uint_eq(res.failed_recipients.n, 1);
	ck_assert_str_eq(res.failed_recipients.v[0], "user@example.com");
	ck_assert_ptr_nonnull(strstr(res.diagnostic, "Unrouteable address"));
	/* from the copy of the original in the text */
	ck_assert_str_eq(res.original_message_id, "E1R136J-0003xp-Td@wildfire.ukcod.org.uk");
	ck_assert_str_eq(res.original_subject, "Your WhatDoTheyKnow email alert");
	classify_result_clear(&res);
	classify_rules_free(r);
}
END_TEST

START_TEST(test_bounce_free_text_recipient)
{
	struct classify_rules *r = load_rules();
	struct classify_result res = CLASSIFY_RESULT_INIT;
	/* qmail-style report from MessageLabs, no DSN, no X-Failed-Recipients */
	classify_corpus(r, "bounces/flufl_qmail_04.eml", &res);
	ck_assert_str_eq(res.kind, CLASSIFY_BOUNCE);
	ck_assert_uint_eq(res.failed_recipients.n, 1);
	ck_assert_str_eq(res.failed_recipients.v[0], "userx@example.au");
	ck_assert_ptr_nonnull(strstr(res.diagnostic, "No such user"));
	classify_result_clear(&res);
	/* Exchange 2003: the "Sent:" line must not cut the report */
	classify_corpus(r, "bounces/sisimai_lhost-exchange2003-01.eml", &res);
	ck_assert_str_eq(res.kind, CLASSIFY_BOUNCE);
	ck_assert_uint_eq(res.failed_recipients.n, 1);
	ck_assert_str_eq(res.failed_recipients.v[0], "kijitora@example.jp");
	ck_assert_str_eq(res.original_subject, "Kijitora Cat");
	classify_result_clear(&res);
	classify_rules_free(r);
}
END_TEST

START_TEST(test_bounce_embedded_original)
{
	struct classify_rules *r = load_rules();
	struct classify_result res = CLASSIFY_RESULT_INIT;
	classify_corpus(r, "bounces/sisimai_rhost-messagelabs-01.eml", &res);
	ck_assert_str_eq(res.kind, CLASSIFY_BOUNCE);
	ck_assert_str_eq(res.failed_recipients.v[0], "kijitora@example.messagelabs.com");
	/* from the text/rfc822-headers part */
	ck_assert_str_eq(res.original_message_id, "000000000222.0000.0000000000000000202@NEKO.NYAAN");
	ck_assert_str_eq(res.original_subject, "Nyaan by Nekochan");
	classify_result_clear(&res);
	classify_rules_free(r);
}
END_TEST

START_TEST(test_bounce_before_auto_submitted)
{
	struct classify_rules *r = load_rules();
	struct classify_result res = CLASSIFY_RESULT_INIT;
	/* carries Auto-Submitted: auto-replied */
	classify_corpus(r, "bounces/sisimai_lhost-postfix-04.eml", &res);
	ck_assert_str_eq(res.kind, CLASSIFY_BOUNCE);
	ck_assert_str_eq(res.failed_recipients.v[0], "kijitora@example.co.jp");
	ck_assert_str_eq(res.original_message_id, "A8F82EDD-E518-4F5C-8C70-BC4EFF24AB9F@example.ne.jp");
	classify_result_clear(&res);
	classify_rules_free(r);
}
END_TEST

START_TEST(test_challenge_response_not_bounce)
{
	struct classify_rules *r = load_rules();
	struct classify_result res = CLASSIFY_RESULT_INIT;
	/* a DSN with Action: failed, sent by a challenge-response system */
	classify_corpus(r, "autoreplies/bounceparser_boxbe-cr.eml", &res);
	ck_assert_str_eq(res.kind, CLASSIFY_AUTO_REPLY);
	ck_assert_str_eq(res.rule, "text:challenge:boxbe-guest-list");
	classify_result_clear(&res);
	classify_rules_free(r);
}
END_TEST

START_TEST(test_header_rules)
{
	struct classify_rules *r = load_rules();
	struct classify_result res = CLASSIFY_RESULT_INIT;
	classify_corpus(r, "autoreplies/flufl_qmail_08.eml", &res);
	ck_assert_str_eq(res.kind, CLASSIFY_AUTO_REPLY);
	classify_result_clear(&res);
	classify_corpus(r, "autoreplies/sisimai_rfc3834-05.eml", &res);
	ck_assert_str_eq(res.rule, "header:auto-submitted");
	ck_assert_str_eq(res.evidence, "Auto-Submitted: auto-replied");
	classify_result_clear(&res);
	classify_corpus(r, "autoreplies/bounceparser_autoreply.eml", &res);
	ck_assert_str_eq(res.rule, "header:precedence");
	classify_result_clear(&res);
	classify_corpus(r, "autoreplies/flanker_disposition-notification.eml", &res);
	ck_assert_str_eq(res.rule, "report:disposition-notification");
	classify_result_clear(&res);
	classify_rules_free(r);
}
END_TEST

static struct mime_message *parse_text(const char *raw)
{
	struct mime_message *m = NULL;
	ck_assert_int_eq(mime_parse(raw, strlen(raw), NULL, &m, NULL), 0);
	return m;
}

START_TEST(test_auto_response_suppress_alone_is_not_auto)
{
	struct classify_rules *r = load_rules();
	struct classify_result res = CLASSIFY_RESULT_INIT;
	struct mime_message *m = parse_text(
		"From: foi@council.gov.uk\nTo: us@example.org\nSubject: RE: FOI request\n"
		"X-Auto-Response-Suppress: All\n\n"
		"Please find attached our response to your request.\n");
	ck_assert_int_eq(classify_message(r, m, NULL, &res), 0);
	ck_assert_str_eq(res.kind, CLASSIFY_RESPONSE);
	classify_result_clear(&res);
	mime_message_free(m);
	classify_rules_free(r);
}
END_TEST

START_TEST(test_automatic_acknowledgement_is_acknowledgement)
{
	struct classify_rules *r = load_rules();
	struct classify_result res = CLASSIFY_RESULT_INIT;
	struct mime_message *m = parse_text(
		"From: foi@council.gov.uk\nTo: us@example.org\nSubject: FOI request received\n"
		"Auto-Submitted: auto-generated\n\n"
		"Thank you for your request for information, which was received on 3 May 2016.\n"
		"Our ref: FOI/2016/1234. We will respond within 20 working days.\n");
	ck_assert_int_eq(classify_message(r, m, "FOI-STP16-042", &res), 0);
	ck_assert_str_eq(res.kind, CLASSIFY_ACKNOWLEDGEMENT);
	ck_assert_str_eq(res.their_reference, "FOI/2016/1234");
	classify_result_clear(&res);
	mime_message_free(m);
	classify_rules_free(r);
}
END_TEST

/* ---- corpus: real reply texts ------------------------------------------ */

/* File-name kinds mapped to ours:
 *   substantive          -> response (all say "response attached" or carry
 *                           only an attachment placeholder <<...>>)
 *   out-of-office        -> auto_reply (text rule: headers are not kept)
 *   reference-only       -> acknowledgement when no attachment came with it
 *                           (the text only logs their reference), response
 *                           when it did (per its notes, HSE's answer was in
 *                           an attachment); both are checked below
 *   not-an-FOI-request   -> other
 *   late-apology         -> acknowledgement: Penwith apologises and says it
 *                           has forwarded the request to another officer "to
 *                           respond independently"; the answer is still to
 *                           come from the same council, so the request stays
 *                           open (as with any internal forwarding). */
static const struct {
	const char *prefix, *kind;
} text_map[] = {
	{ "substantive", CLASSIFY_RESPONSE },
	{ "out-of-office", CLASSIFY_AUTO_REPLY },
	{ "reference-only", CLASSIFY_ACKNOWLEDGEMENT },
	{ "not-an-FOI-request", CLASSIFY_OTHER },
	{ "late-apology", CLASSIFY_ACKNOWLEDGEMENT },
};

static char *read_reply_text(const char *path)
{
	char *raw = NULL;
	ck_assert_int_eq(util_read_file(path, &raw, NULL, NULL), 0);
	const char *mark = "BODY (verbatim):\n";
	char *b = strstr(raw, mark);
	ck_assert_ptr_nonnull(b);
	char *body = xstrdup(b + strlen(mark));
	free(raw);
	return body;
}

START_TEST(test_corpus_reply_texts)
{
	struct classify_rules *r = load_rules();
	char *dir = xasprintf("%s/tests/corpus/replies/texts", fixture_srcdir());
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d)); ) {
		const char *us = strchr(e->d_name, '_');
		if (!us || !strstr(e->d_name, ".txt"))
			continue;
		const char *want = NULL;
		for (size_t i = 0; i < sizeof text_map / sizeof text_map[0]; i++)
			if (util_starts_with(us + 1, text_map[i].prefix))
				want = text_map[i].kind;
		ck_assert_msg(want != NULL, "no kind mapped for %s", e->d_name);
		char *path = xasprintf("%s/%s", dir, e->d_name);
		char *body = read_reply_text(path);
		struct classify_result res = CLASSIFY_RESULT_INIT;
		ck_assert_int_eq(classify_text(r, NULL, body, 0, NULL, &res), 0);
		ck_assert_msg(!strcmp(res.kind, want), "%s: %s (%s: %s)", e->d_name, res.kind,
		              res.rule, res.evidence);
		classify_result_clear(&res);
		free(body);
		free(path);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 9);
	free(dir);
	classify_rules_free(r);
}
END_TEST

START_TEST(test_corpus_reference_only_with_attachment)
{
	struct classify_rules *r = load_rules();
	char *path = xasprintf("%s/tests/corpus/replies/texts/26_reference-only_hse.txt",
	                       fixture_srcdir());
	char *body = read_reply_text(path);
	struct classify_result res = CLASSIFY_RESULT_INIT;
	ck_assert_int_eq(classify_text(r, NULL, body, 1, NULL, &res), 0);
	ck_assert_str_eq(res.kind, CLASSIFY_RESPONSE);
	ck_assert_str_eq(res.rule, "fallback:attachment");
	ck_assert_str_eq(res.their_reference, "2008040590");
	classify_result_clear(&res);
	free(body);
	free(path);
	classify_rules_free(r);
}
END_TEST

START_TEST(test_corpus_reply_text_references)
{
	struct classify_rules *r = load_rules();
	static const struct {
		const char *file, *ref;
	} cases[] = {
		{ "20_substantive_attached_gsi-ref-T3241.txt", "T3241/8" },
		{ "27_not-an-FOI-request_department-of-health.txt", "DE00000642471" },
		{ "25_out-of-office_surrey-cc.txt", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *path = xasprintf("%s/tests/corpus/replies/texts/%s", fixture_srcdir(),
		                       cases[i].file);
		char *body = read_reply_text(path);
		char *ref = classify_reference(r, NULL, body, NULL);
		if (cases[i].ref)
			ck_assert_str_eq(ref, cases[i].ref);
		else
			ck_assert_ptr_null(ref);
		free(ref);
		free(body);
		free(path);
	}
	classify_rules_free(r);
}
END_TEST

/* ---- typical UK council replies ----------------------------------------- */

START_TEST(test_ack_with_ref_and_due_date)
{
	text_kind("Dear Sir/Madam,\n\nThank you for your request for information, which "
	          "we received on 12 May 2016.\nOur ref: FOI/2016/1234\n\nWe will respond "
	          "by 10 June 2016, within 20 working days as the Act requires.\n",
	          CLASSIFY_ACKNOWLEDGEMENT, NULL);
}
END_TEST

START_TEST(test_ack_acknowledge_receipt)
{
	text_kind("We acknowledge receipt of your Freedom of Information request. It has "
	          "been logged under reference 5366 and we aim to respond by 3 June.\n",
	          CLASSIFY_ACKNOWLEDGEMENT, "text:acknowledgement:acknowledge-receipt");
}
END_TEST

START_TEST(test_ack_request_received)
{
	text_kind("Your request was received on 4 May 2016 and is being dealt with.\n"
	          "You should receive a response within 20 working days.\n",
	          CLASSIFY_ACKNOWLEDGEMENT, NULL);
}
END_TEST

START_TEST(test_clarification_please_clarify)
{
	text_kind("Thank you for your request. Could you please clarify which financial "
	          "years you are interested in?\n", CLASSIFY_CLARIFICATION, NULL);
}
END_TEST

START_TEST(test_clarification_before_proceed)
{
	text_kind("Before we can proceed with your request we need to know whether you mean "
	          "permanent or agency staff. Please confirm which you require.\n",
	          CLASSIFY_CLARIFICATION, NULL);
}
END_TEST

START_TEST(test_clarification_section_1_3)
{
	text_kind("Under section 1(3) of the Act we require further information to identify "
	          "and locate the information you have asked for. The 20 working days "
	          "will start again when we receive your reply.\n",
	          CLASSIFY_CLARIFICATION, NULL);
}
END_TEST

START_TEST(test_extension_public_interest)
{
	text_kind("Our ref: FOI 4530\nWe acknowledge receipt of your request. We are "
	          "considering whether section 43 applies and need to carry out a public "
	          "interest test. Under section 10(3) we will respond by 30 June.\n",
	          CLASSIFY_EXTENSION, "text:extension:public-interest");
}
END_TEST

START_TEST(test_extension_more_time)
{
	text_kind("Unfortunately we will need further time to collate this information; "
	          "we now expect to respond by 15 July.\n", CLASSIFY_EXTENSION, NULL);
}
END_TEST

START_TEST(test_extension_eir_regulation_7)
{
	text_kind("As the request is complex and voluminous we are extending the time for "
	          "our response to 40 working days under regulation 7(1) of the EIR.\n",
	          CLASSIFY_EXTENSION, NULL);
}
END_TEST

START_TEST(test_refusal_section_12)
{
	text_kind("We estimate that complying with your request would exceed the appropriate "
	          "limit of £450. Section 12 of the Act therefore applies and we will not "
	          "process it further. This letter acts as a refusal notice.\n",
	          CLASSIFY_REFUSAL, "text:refusal:section-12");
}
END_TEST

START_TEST(test_refusal_section_14)
{
	text_kind("The council considers your request vexatious under section 14(1) of the "
	          "Freedom of Information Act 2000 and will not be responding.\n",
	          CLASSIFY_REFUSAL, "text:refusal:section-14");
}
END_TEST

START_TEST(test_refusal_exemption)
{
	text_kind("We are unable to provide the information you requested. Section 43 "
	          "applies: its release would prejudice commercial interests.\n",
	          CLASSIFY_REFUSAL, NULL);
}
END_TEST

START_TEST(test_response_not_held)
{
	text_kind("I can confirm that the information you have requested is not held by "
	          "the council in a recorded form.\n", CLASSIFY_RESPONSE,
	          "text:response:not-held");
}
END_TEST

START_TEST(test_response_find_our_response_below)
{
	text_kind("Dear Jane,\n\nPlease find our response below.\n\n1. The council received "
	          "42 complaints in 2015/16.\n", CLASSIFY_RESPONSE,
	          "text:response:answer-follows");
}
END_TEST

START_TEST(test_response_partial_disclosure)
{
	text_kind("Please find the information below. Names of junior officers have been "
	          "redacted under section 40(2) of the Act (personal data); the remainder "
	          "of the information is released in full.\n",
	          CLASSIFY_RESPONSE, NULL);
}
END_TEST

START_TEST(test_response_in_attachment)
{
	text_kind("Dear Sir,\nPlease find attached our response to your Freedom of "
	          "Information request.\nRegards\nInformation Governance Team\n",
	          CLASSIFY_RESPONSE, "text:response:attached-response");
}
END_TEST

START_TEST(test_quoted_request_ignored)
{
	/* our request, quoted below, talks of section 12 and asks to clarify */
	text_kind("Please find attached the council's answer.\n\n"
	          "-----Original Message-----\nFrom: FOI Team <foi@example.org>\n"
	          "Sent: 01 May 2016 09:00\nSubject: FOI request FOI-STP16-042\n\n"
	          "If you think section 12 applies, could you please clarify what you can "
	          "provide within the appropriate limit.\n",
	          CLASSIFY_RESPONSE, NULL);
	text_kind("Thank you for your email.\n\n> Under section 14 this request is not "
	          "vexatious. Could you please clarify the dates?\n",
	          CLASSIFY_OTHER, "fallback:unmatched");
	text_kind("We have received your request.\n\nOn Tue, 3 May 2016 at 10:00, FOI Team "
	          "<foi@example.org> wrote:\nWe would exceed the appropriate limit.\n",
	          CLASSIFY_ACKNOWLEDGEMENT, NULL);
}
END_TEST

START_TEST(test_other_transferred)
{
	text_kind("The council does not hold this information; we have transferred your "
	          "request to Kent Police, who will reply to you directly.\n",
	          CLASSIFY_OTHER, "text:other:transferred");
}
END_TEST

START_TEST(test_other_directed_elsewhere)
{
	text_kind("Highways are a county council responsibility, so your request should be "
	          "directed to the county council.\n", CLASSIFY_OTHER, NULL);
}
END_TEST

START_TEST(test_other_not_valid_request)
{
	text_kind("Your email is not a valid FOI request as it does not give a name.\n",
	          CLASSIFY_OTHER, "text:other:not-valid-request");
}
END_TEST

START_TEST(test_evidence_is_bounded)
{
	struct classify_rules *r = load_rules();
	struct buf b = BUF_INIT;
	for (int i = 0; i < 50; i++)
		buf_adds(&b, "Lorem ipsum dolor sit amet. ");
	buf_adds(&b, "Please find attached our response. ");
	for (int i = 0; i < 50; i++)
		buf_adds(&b, "Ünïcödé text follows here. ");
	struct classify_result res = CLASSIFY_RESULT_INIT;
	ck_assert_int_eq(classify_text(r, NULL, b.data, 0, NULL, &res), 0);
	ck_assert_uint_le(strlen(res.evidence), CLASSIFY_EVIDENCE_MAX);
	ck_assert_ptr_nonnull(strstr(res.evidence, "Please find attached"));
	ck_assert(util_utf8_valid(res.evidence, strlen(res.evidence)));
	classify_result_clear(&res);
	buf_free(&b);
	classify_rules_free(r);
}
END_TEST

/* ---- their reference ---------------------------------------------------- */

static void ref_is(const char *subject, const char *body, const char *want)
{
	struct classify_rules *r = load_rules();
	char *ref = classify_reference(r, subject, body, "FOI-STP16-042");
	if (want)
		ck_assert_msg(ref && !strcmp(ref, want), "got %s want %s", ref, want);
	else
		ck_assert_msg(ref == NULL, "got %s want none", ref);
	free(ref);
	classify_rules_free(r);
}

START_TEST(test_ref_our_ref)
{
	ref_is(NULL, "Our ref: FOI/2016/1234\nDear Sir,\n", "FOI/2016/1234");
}
END_TEST

START_TEST(test_ref_reference_colon)
{
	ref_is(NULL, "Reference: FOI 4530\n", "FOI 4530");
}
END_TEST

START_TEST(test_ref_request_id)
{
	ref_is(NULL, "Your request has been logged. Request ID 5366.\n", "5366");
}
END_TEST

START_TEST(test_ref_case_number_in_subject)
{
	ref_is("RE: FOI request - Case number: 123456", "Thank you.\n", "123456");
}
END_TEST

START_TEST(test_ref_not_ico)
{
	ref_is(NULL, "If you are unhappy you may complain to the Commissioner (ICO reference "
	       "FS50123456 was a similar case).\n", NULL);
}
END_TEST

START_TEST(test_ref_not_phone)
{
	ref_is(NULL, "Ref: 01234 567890 is our FOI team's telephone line.\n", NULL);
}
END_TEST

START_TEST(test_ref_not_ours)
{
	ref_is("RE: FOI request FOI-STP16-042", "Reference: FOI-STP16-042\n", NULL);
}
END_TEST

START_TEST(test_ref_ours_then_theirs)
{
	ref_is(NULL, "Your ref: FOI-STP16-042\nOur ref: EIR/889\n", "EIR/889");
}
END_TEST

START_TEST(test_ref_not_postcode)
{
	ref_is(NULL, "Please write to us at Civic Centre, Ref: LS1 1UR.\n", NULL);
}
END_TEST

START_TEST(test_ref_not_in_quoted_text)
{
	ref_is(NULL, "Thanks.\n> Our ref: FOI/2015/0001\n", NULL);
}
END_TEST

static Suite *classify_suite(void)
{
	Suite *s = suite_create("classify");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, rules_up, rules_down);
	tcase_add_test(tc, test_model_decides_where_no_rule_speaks);
	tcase_add_test(tc, test_shipped_model_leaves_a_plain_clarification_to_its_rule);
	tcase_add_test(tc, test_rule_decides_where_the_model_is_unsure);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_load_errors_name_file_and_line);
	tcase_add_test(tc, test_load_rejects_unknown_kind_and_where);
	tcase_add_test(tc, test_reference_rules_keep_their_place);
	tcase_add_test(tc, test_load_missing_file);
	tcase_add_test(tc, test_corpus_bounces);
	tcase_add_test(tc, test_corpus_autoreplies);
	tcase_add_test(tc, test_delay_evidence_says_no_answer);
	tcase_add_test(tc, test_bounce_dsn_details);
	tcase_add_test(tc, test_bounce_x400_uses_original_recipient);
	tcase_add_test(tc, test_bounce_exim_text);
	tcase_add_test(tc, test_bounce_free_text_recipient);
	tcase_add_test(tc, test_bounce_embedded_original);
	tcase_add_test(tc, test_bounce_before_auto_submitted);
	tcase_add_test(tc, test_challenge_response_not_bounce);
	tcase_add_test(tc, test_header_rules);
	tcase_add_test(tc, test_auto_response_suppress_alone_is_not_auto);
	tcase_add_test(tc, test_automatic_acknowledgement_is_acknowledgement);
	tcase_add_test(tc, test_corpus_reply_texts);
	tcase_add_test(tc, test_corpus_reference_only_with_attachment);
	tcase_add_test(tc, test_corpus_reply_text_references);
	tcase_add_test(tc, test_ack_with_ref_and_due_date);
	tcase_add_test(tc, test_ack_acknowledge_receipt);
	tcase_add_test(tc, test_ack_request_received);
	tcase_add_test(tc, test_clarification_please_clarify);
	tcase_add_test(tc, test_clarification_before_proceed);
	tcase_add_test(tc, test_clarification_section_1_3);
	tcase_add_test(tc, test_extension_public_interest);
	tcase_add_test(tc, test_extension_more_time);
	tcase_add_test(tc, test_extension_eir_regulation_7);
	tcase_add_test(tc, test_refusal_section_12);
	tcase_add_test(tc, test_refusal_section_14);
	tcase_add_test(tc, test_refusal_exemption);
	tcase_add_test(tc, test_response_not_held);
	tcase_add_test(tc, test_response_find_our_response_below);
	tcase_add_test(tc, test_response_partial_disclosure);
	tcase_add_test(tc, test_response_in_attachment);
	tcase_add_test(tc, test_quoted_request_ignored);
	tcase_add_test(tc, test_other_transferred);
	tcase_add_test(tc, test_other_directed_elsewhere);
	tcase_add_test(tc, test_other_not_valid_request);
	tcase_add_test(tc, test_evidence_is_bounded);
	tcase_add_test(tc, test_ref_our_ref);
	tcase_add_test(tc, test_ref_reference_colon);
	tcase_add_test(tc, test_ref_request_id);
	tcase_add_test(tc, test_ref_case_number_in_subject);
	tcase_add_test(tc, test_ref_not_ico);
	tcase_add_test(tc, test_ref_not_phone);
	tcase_add_test(tc, test_ref_not_ours);
	tcase_add_test(tc, test_ref_ours_then_theirs);
	tcase_add_test(tc, test_ref_not_postcode);
	tcase_add_test(tc, test_ref_not_in_quoted_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fixture_run(classify_suite());
}
