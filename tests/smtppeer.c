#include "smtppeer.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int peer_listen_loopback(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof sa;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void peer_say(int fd, const char *s)
{
	size_t n = strlen(s);
	if (write(fd, s, n) != (ssize_t)n || write(fd, "\r\n", 2) != 2)
		return;
}

/* One line without its CRLF into line; 0 at end of connection. */
static int peer_line(int fd, struct buf *line)
{
	buf_reset(line);
	char c;
	while (read(fd, &c, 1) == 1) {
		if (c == '\n') {
			if (line->len > 0 && line->data[line->len - 1] == '\r')
				line->data[--line->len] = '\0';
			return 1;
		}
		buf_addc(line, c);
	}
	return 0;
}

static void peer_session(struct peer *p, int fd)
{
	struct buf line = BUF_INIT;
	int mails = 0;
	p->connections++;
	const char *greeting = p->greeting ? p->greeting : "220 peer ESMTP";
	peer_say(fd, greeting);
	if (greeting[0] != '2')
		goto out;
	while (peer_line(fd, &line)) {
		const char *l = line.data ? line.data : "";
		if (util_strcasestarts(l, "EHLO")) {
			peer_say(fd, "250-peer\r\n250 SIZE 10000000");
		} else if (util_strcasestarts(l, "MAIL FROM:")) {
			if (p->max_mails && mails >= p->max_mails) {
				peer_say(fd, "452 4.5.3 Too many messages in this session");
				continue;
			}
			mails++;
			p->mails++;
			peer_say(fd, p->mail_always ? p->mail_always : "250 2.1.0 Ok");
		} else if (util_strcasestarts(l, "RCPT TO:")) {
			p->rcpts++;
			if (p->rcpt_always)
				peer_say(fd, p->rcpt_always);
			else if (p->rcpt_first && p->rcpts == 1)
				peer_say(fd, p->rcpt_first);
			else
				peer_say(fd, "250 2.1.5 Ok");
		} else if (util_strcasestarts(l, "DATA")) {
			peer_say(fd, "354 End data with <CR><LF>.<CR><LF>");
			buf_reset(&p->data);
			while (peer_line(fd, &line) && strcmp(line.data ? line.data : "", ".") != 0) {
				buf_add(&p->data, line.data ? line.data : "", line.len);
				buf_adds(&p->data, "\r\n");
			}
			if (p->drop_after_dot)
				goto out;
			if (p->on_data)
				p->on_data(p->on_data_arg);
			p->accepted++;
			char *ok = xasprintf("250 2.0.0 QID%04d Message accepted for delivery",
			                     p->accepted);
			peer_say(fd, ok);
			free(ok);
		} else if (util_strcasestarts(l, "QUIT")) {
			peer_say(fd, "221 2.0.0 Bye");
			goto out;
		} else if (util_strcasestarts(l, "RSET") || util_strcasestarts(l, "NOOP")) {
			peer_say(fd, "250 2.0.0 Ok");
		} else {
			peer_say(fd, "502 5.5.2 Unknown command");
		}
	}
out:
	buf_free(&line);
	close(fd);
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	int fd;
	/* shutdown() of the listener ends accept() and the loop. */
	while ((fd = accept(p->lfd, NULL, NULL)) >= 0) {
		struct timeval tv = { .tv_sec = 30 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		peer_session(p, fd);
	}
	return NULL;
}

void peer_start(struct peer *p)
{
	p->lfd = peer_listen_loopback(&p->port);
	ck_assert_int_eq(pthread_create(&p->thread, NULL, peer_main, p), 0);
}

void peer_stop(struct peer *p, char **data)
{
	shutdown(p->lfd, SHUT_RDWR);
	pthread_join(p->thread, NULL);
	close(p->lfd);
	if (data)
		*data = buf_detach(&p->data);
	buf_free(&p->data);
}

