/* trivial.c: the benchmark's ceiling, a FastCGI responder doing no work. */
#include "common.h"

#include <fcgiapp.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

/*
 * The same headers as a real responder (lib/req.c: Status, Content-Type,
 * X-Request-Id, Server-Timing, no Content-Length) and a small JSON body, so
 * that lighttpd and the FastCGI framing do the same work; only libagora's
 * routing, auth, database and request log are missing. Links libfcgi alone.
 */
#define TRIVIAL_BODY "{\"status\":\"ok\"}"

/*
 * Format the whole response into buf; the request id is the pid and a
 * counter. Returns its length, or -1 if buf is too small.
 */
static int trivial_format(char *buf, size_t size, unsigned long long n,
			  const struct timespec *t0)
{
	struct timespec now;
	double ms;
	int len;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - t0->tv_sec) * 1e3 +
	     (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
	len = snprintf(buf, size,
		       "Status: 200 OK\r\n"
		       "Content-Type: application/json; charset=utf-8\r\n"
		       "X-Request-Id: %08lx%024llx\r\n"
		       "Server-Timing: sql;desc=\"0\";dur=0.000, "
		       "total;dur=%.3f\r\n"
		       "\r\n" TRIVIAL_BODY,
		       (unsigned long)getpid(), n, ms);
	return len < 0 || (size_t)len >= size ? -1 : len;
}

int main(void)
{
	FCGX_Request fr;
	struct timespec t0;
	unsigned long long n = 0;
	char buf[320];
	int len;

	if (FCGX_IsCGI()) {
		/* Plain CGI (stdin is not a socket): one answer on stdout. */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		len = trivial_format(buf, sizeof(buf), 0, &t0);
		return len > 0 &&
				       fwrite(buf, 1, (size_t)len, stdout) ==
					       (size_t)len &&
				       fflush(stdout) == 0 ?
			       0 :
			       1;
	}
	/* A client that hangs up must not kill the process mid-write. */
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		fputs("trivial: cannot initialise FastCGI\n", stderr);
		return 1;
	}
	while (FCGX_Accept_r(&fr) >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		len = trivial_format(buf, sizeof(buf), ++n, &t0);
		/* A failed write means the client left: nothing to report. */
		if (len > 0)
			(void)FCGX_PutStr(buf, len, fr.out);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	return 0;
}
