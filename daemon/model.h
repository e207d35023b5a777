/* The statistical half of classification: a multinomial logistic
 * regression over the words, word pairs and rule hits of a reply, trained
 * by scripts/train-model.py on the training part of tests/corpus/labelled
 * and shipped as data/classify.model.  classify.c asks the model for the
 * human kinds (model_score_reply; model_features lists the features for
 * training); the checks that must stay exact (DSNs, auto-reply headers,
 * challenge mails) never reach it.  Pure functions besides model_load. */
#ifndef FOID_MODEL_H
#define FOID_MODEL_H

#include "util.h"

#define MODEL_KINDS_MAX 8
#define MODEL_TOP 3 /* features kept as evidence */

struct model; /* opaque: the loaded weights */

struct model_result {
	const char *kind;       /* a kind name of the model file: points into the
	                           model, valid while it is loaded */
	double confidence;      /* the winner's probability, 0..1 */
	/* The features that weighed most for the winner, strongest first;
	   "" past the last.  Point into the model. */
	const char *top[MODEL_TOP];
	double top_weight[MODEL_TOP];
};

/* Reads a model file.  On error returns FOID_ENOTFOUND, FOID_EIO or
 * FOID_EINVAL with *errp "FILE:LINE: message".  *out is new; free it with
 * model_free. */
int model_load(const char *path, struct model **out, char **errp);
void model_free(struct model *m); /* accepts NULL */

/* Appends to out the features of a reply: subject and body (quotes already
 * removed), whether it came with documents, and the rules that matched it
 * ("refusal:section-12").  Features are distinct; each is a new string. */
void model_features(const char *subject, const char *body, int has_attachments,
                    const struct strv *rule_hits, struct strv *out);

/* Scores a reply's features (model_features), each once; features the
 * model does not know weigh nothing and are not made. */
void model_score_reply(const struct model *m, const char *subject, const char *body,
                       int has_attachments, const struct strv *rule_hits,
                       struct model_result *res);

/* A feature as a person reads it: "b:cost_limit" -> "cost limit",
 * "r:refusal:section-12" -> "rule refusal:section-12".  New string. */
char *model_feature_text(const char *feature);

#endif
