/*
 * webhook-stub: an HTTP endpoint for tests, where agora-notifyd posts its
 * notifications (NOTIFY_WEBHOOK_URL). Not a web server: just enough
 * HTTP/1.1 for curl's POSTs.
 *
 *   webhook-stub LOG CTL
 *
 * Listens on a free loopback port, prints its URL
 * ("http://127.0.0.1:PORT/hook") on stdout and serves until SIGTERM or
 * SIGINT. Single-threaded: one poll loop over the listening socket, the
 * control FIFO and the connections. Every complete request is appended to
 * LOG as one line, "STATUS<TAB>METHOD<TAB>PATH<TAB>BODY" (line breaks in
 * the body become spaces), as soon as it has arrived, before it is
 * answered; each answer closes its connection. CTL is created as a FIFO;
 * each line written to it is a command:
 *
 *   fail N    the next N requests are answered 500
 *   hang MS   every request is answered MS ms after it arrived (0: at
 *             once); other connections are served meanwhile
 *   reset     no failures, no hang
 */
#include "common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STUB_MAX_CONNS	 64
#define STUB_MAX_REQUEST (1u << 20)

struct conn {
	int fd; /* -1: a free slot */
	char *buf;
	size_t len, cap;
	bool continued; /* "100 Continue" sent */
	bool answered; /* the request is in; waiting for due */
	int status;
	long long due; /* when to answer, in ms (CLOCK_MONOTONIC) */
};

static struct conn conns[STUB_MAX_CONNS];
static long fail_left;
static long hang_ms;
static FILE *reqlog;
static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* command: carry out one control line; a bad line is reported, ignored. */
static void command(char *line)
{
	char word[16];
	long n;

	line[strcspn(line, "\r\n")] = '\0';
	if (sscanf(line, "%15s", word) != 1)
		return;
	if (!strcmp(word, "fail") && sscanf(line, "%*s %ld", &n) == 1 &&
	    n >= 0) {
		fail_left = n;
	} else if (!strcmp(word, "hang") && sscanf(line, "%*s %ld", &n) == 1 &&
		   n >= 0 && n <= 600000) {
		hang_ms = n;
	} else if (!strcmp(word, "reset")) {
		fail_left = 0;
		hang_ms = 0;
	} else {
		fprintf(stderr, "webhook-stub: bad command: %s\n", line);
		return;
	}
	fprintf(stderr, "webhook-stub: %s\n", line);
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* send_all: best effort; the client may have given up (a hang). */
static void send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void answer(struct conn *c)
{
	char head[256];
	const char *body = c->status == 200 ? "{}" : "{\"error\":\"stub\"}";
	const char *reason = c->status == 200 ? "OK" :
			     c->status == 500 ? "Internal Server Error" :
						"Bad Request";
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\n"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		     c->status, reason, strlen(body));
	send_all(c->fd, head, (size_t)n);
	send_all(c->fd, body, strlen(body));
	conn_close(c);
}

/* header_end: the offset just past "\r\n\r\n" in p[0..n), or 0. */
static size_t header_end(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++)
		if (!memcmp(p + i, "\r\n\r\n", 4))
			return i + 4;
	return 0;
}

/* header: the value of header name in the block head (NUL-terminated), or
 * NULL; the value runs to the end of its line. */
static const char *header(const char *head, const char *name)
{
	size_t len = strlen(name);
	const char *p = strstr(head, "\r\n");

	while (p && p[2] != '\r') {
		p += 2;
		if (!strncasecmp(p, name, len) && p[len] == ':') {
			p += len + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

/* record: one line of LOG for the request; its status is decided here. */
static void record(struct conn *c, const char *head, const char *body,
		   size_t blen)
{
	char method[16] = "", path[512] = "";
	size_t i;

	if (sscanf(head, "%15s %511s", method, path) != 2)
		c->status = 400;
	else if (fail_left > 0) {
		fail_left--;
		c->status = 500;
	} else {
		c->status = 200;
	}
	fprintf(reqlog, "%d\t%s\t%s\t", c->status, method, path);
	for (i = 0; i < blen; i++)
		fputc(body[i] == '\n' || body[i] == '\r' ? ' ' : body[i],
		      reqlog);
	fputc('\n', reqlog);
	fflush(reqlog);
	fprintf(stderr, "webhook-stub: %s %s -> %d%s\n", method, path,
		c->status, hang_ms ? " (held)" : "");
	c->answered = true;
	c->due = now_ms() + hang_ms;
}

/* conn_read: what arrived on c; the request is recorded once complete. */
static void conn_read(struct conn *c)
{
	const char *cl, *ex;
	size_t hlen;
	ssize_t got;
	char *end;
	long n;

	if (c->answered) {
		/* Only the client closing (a timeout) is expected now. */
		char junk[512];

		got = recv(c->fd, junk, sizeof(junk), 0);
		if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
			conn_close(c);
		return;
	}
	if (c->len + 4096 + 1 > c->cap) {
		c->cap = c->len + 4096 + 1 + c->cap;
		c->buf = xrealloc(c->buf, c->cap);
	}
	got = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (got <= 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)got;
	c->buf[c->len] = '\0';
	if (c->len > STUB_MAX_REQUEST) {
		c->status = 413;
		answer(c);
		return;
	}
	hlen = header_end(c->buf, c->len);
	if (!hlen)
		return;
	c->buf[hlen - 2] = '\0'; /* the head, ending in one CRLF */
	n = 0;
	cl = header(c->buf, "Content-Length");
	if (cl) {
		errno = 0;
		n = strtol(cl, &end, 10);
		if (errno || end == cl || n < 0 || n > STUB_MAX_REQUEST) {
			c->status = 400;
			answer(c);
			return;
		}
	} else if (header(c->buf, "Transfer-Encoding")) {
		c->status = 400; /* no chunked bodies here */
		answer(c);
		return;
	}
	ex = header(c->buf, "Expect");
	if (ex && !strncasecmp(ex, "100-continue", 12) && !c->continued) {
		send_all(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		c->continued = true;
	}
	if (c->len - hlen < (size_t)n) {
		c->buf[hlen - 2] = '\r';
		return;
	}
	record(c, c->buf, c->buf + hlen, (size_t)n);
}

static void accept_one(int lfd)
{
	int fd = accept(lfd, NULL, NULL);
	size_t i;

	if (fd < 0)
		return;
	for (i = 0; i < STUB_MAX_CONNS; i++) {
		if (conns[i].fd < 0) {
			conns[i].fd = fd;
			return;
		}
	}
	close(fd); /* full: the client sees a reset */
}

static int listen_loopback(int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* ctl_read: the FIFO's complete lines to command(). */
static void ctl_read(int fd, char *buf, size_t size, size_t *used)
{
	ssize_t got = read(fd, buf + *used, size - 1 - *used);
	char *nl;

	if (got <= 0)
		return;
	*used += (size_t)got;
	buf[*used] = '\0';
	while ((nl = strchr(buf, '\n'))) {
		*nl = '\0';
		command(buf);
		*used -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, *used + 1);
	}
	if (*used == size - 1)
		*used = 0; /* a line too long: drop it */
}

int main(int argc, char **argv)
{
	struct pollfd pfd[STUB_MAX_CONNS + 2];
	int map[STUB_MAX_CONNS + 2];
	struct sigaction sa;
	char ctlbuf[512];
	size_t used = 0, i, np;
	int lfd, cfd, port, rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: webhook-stub LOG CTL-FIFO\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < STUB_MAX_CONNS; i++)
		conns[i].fd = -1;

	reqlog = fopen(argv[1], "a");
	if (!reqlog) {
		fprintf(stderr, "webhook-stub: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	unlink(argv[2]);
	if (mkfifo(argv[2], 0600) < 0) {
		fprintf(stderr, "webhook-stub: %s: %s\n", argv[2],
			strerror(errno));
		fclose(reqlog);
		return 1;
	}
	/* Read and write: the FIFO never reports end of file when a writer
	 * closes it, and opening does not wait for one. */
	cfd = open(argv[2], O_RDWR | O_NONBLOCK | O_CLOEXEC);
	lfd = listen_loopback(&port);
	if (cfd < 0 || lfd < 0) {
		fprintf(stderr, "webhook-stub: %s\n", strerror(errno));
		goto out;
	}
	printf("http://127.0.0.1:%d/hook\n", port);
	fflush(stdout);

	while (!stopping) {
		long long now = now_ms(), wait = 200;

		pfd[0] = (struct pollfd){ cfd, POLLIN, 0 };
		pfd[1] = (struct pollfd){ lfd, POLLIN, 0 };
		np = 2;
		for (i = 0; i < STUB_MAX_CONNS; i++) {
			if (conns[i].fd < 0)
				continue;
			if (conns[i].answered && conns[i].due <= now) {
				answer(&conns[i]);
				continue;
			}
			if (conns[i].answered && conns[i].due - now < wait)
				wait = conns[i].due - now;
			map[np] = (int)i;
			pfd[np++] = (struct pollfd){ conns[i].fd, POLLIN, 0 };
		}
		if (poll(pfd, np, (int)wait) <= 0)
			continue;
		/* Commands first: one written before a request was sent
		 * applies to it. */
		if (pfd[0].revents & POLLIN)
			ctl_read(cfd, ctlbuf, sizeof(ctlbuf), &used);
		for (i = 2; i < np; i++)
			if (pfd[i].revents)
				conn_read(&conns[map[i]]);
		if (pfd[1].revents & POLLIN)
			accept_one(lfd);
	}
	rc = 0;
out:
	for (i = 0; i < STUB_MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i]);
	if (lfd >= 0)
		close(lfd);
	if (cfd >= 0)
		close(cfd);
	unlink(argv[2]);
	fclose(reqlog);
	return rc;
}
