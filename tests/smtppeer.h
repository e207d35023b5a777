/* A scripted SMTP peer on loopback (a thread of the test process), for
 * tests of how replies are classified: 4xx, 5xx, drops, session limits.
 * Real delivery is tested against the sandbox's OpenSMTPD. */
#ifndef FOID_TEST_SMTPPEER_H
#define FOID_TEST_SMTPPEER_H

#include <pthread.h>

#include "util.h"

struct peer {
	int lfd;
	int port;
	pthread_t thread;
	/* Script. */
	const char *greeting;    /* default "220 peer ESMTP" */
	const char *rcpt_first;  /* reply to the first RCPT; later ones get 250 */
	const char *rcpt_always; /* reply to every RCPT */
	const char *mail_always; /* reply to every MAIL FROM */
	int max_mails;           /* per session, then 452 to MAIL; 0: no limit */
	int drop_after_dot;      /* close instead of the final reply */
	/* Called with on_data_arg once a message's data is in, before the
	 * final reply: lets a test act while the sender waits. */
	void (*on_data)(void *arg);
	void *on_data_arg;
	/* What it saw. */
	int connections;
	int mails;
	int rcpts;
	int accepted;
	struct buf data;         /* the last DATA content as received */
};

/* A listening socket on 127.0.0.1 with a kernel-chosen *port. */
int peer_listen_loopback(int *port);
/* Starts serving p (zero it and set the script first). */
void peer_start(struct peer *p);
/* Stops; data, if not NULL, receives the last DATA content seen. */
void peer_stop(struct peer *p, char **data);

#endif
