/* log.c: one JSON object per line on stderr, each line one write(2). */
#include "common.h"

#include <math.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sbuf.h"
#include "utf8.h"

static char log_prog[64] = "agora";
static enum log_level log_threshold = LOG_INFO;

static const char *const log_names[] = { "debug", "info", "warn", "error" };

void log_init(const char *prog, const char *level)
{
	size_t i;

	if (prog)
		snprintf(log_prog, sizeof(log_prog), "%s", prog);
	log_threshold = LOG_INFO;
	for (i = 0; level && i < ARRAY_SIZE(log_names); i++)
		if (!strcmp(level, log_names[i]))
			log_threshold = (enum log_level)i;
}

/*
 * A log line must stay valid JSON even when a request path carries raw
 * bytes that are not UTF-8, so such a string is written with every
 * non-ASCII byte replaced by '?'.
 */
static void log_add_str(struct sbuf *sb, const char *s)
{
	char *copy, *p;

	if (utf8_valid(s, strlen(s))) {
		sbuf_add_json_str(sb, s);
		return;
	}
	copy = xstrdup(s);
	for (p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	sbuf_add_json_str(sb, copy);
	free(copy);
}

/* The fields every line starts with, up to and including "msg". */
static void log_head(struct sbuf *sb, enum log_level lvl, const char *reqid,
		     const char *msg)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	sbuf_addf(sb, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"prog\":",
		  stamp, ts.tv_nsec / 1000000L, log_names[lvl]);
	log_add_str(sb, log_prog);
	if (reqid) {
		sbuf_addstr(sb, ",\"reqId\":");
		log_add_str(sb, reqid);
	}
	sbuf_addstr(sb, ",\"msg\":");
	log_add_str(sb, msg);
}

/*
 * One write(2) per line: stderr of every responder may be the same pipe,
 * and a single write of up to PIPE_BUF bytes is never interleaved with
 * another process's. Only a partial write (or EINTR) makes us go on.
 */
static void log_write(struct sbuf *sb)
{
	const char *p = sb->buf;
	size_t left = sb->len;
	ssize_t n;

	while (left) {
		n = write(STDERR_FILENO, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		left -= (size_t)n;
	}
}

static bool log_enabled(enum log_level lvl)
{
	return lvl >= log_threshold && lvl <= LOG_ERROR;
}

void log_msg(enum log_level lvl, const char *reqid, const char *fmt, ...)
{
	struct sbuf msg, line;
	va_list ap;
	int saved = errno;	/* callers may log and then look at errno */

	if (!log_enabled(lvl))
		return;
	sbuf_init(&msg, 128, 0);
	va_start(ap, fmt);
	sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	sbuf_init(&line, 256, 0);
	log_head(&line, lvl, reqid, msg.buf);
	sbuf_addstr(&line, "}\n");
	log_write(&line);
	sbuf_release(&line);
	sbuf_release(&msg);
	errno = saved;
}

void log_access(const char *reqid, const char *method, const char *path,
		int status, double ms, unsigned sql)
{
	struct sbuf line;
	int saved = errno;

	if (!log_enabled(LOG_INFO))
		return;
	/* "%.3f" of NaN or infinity is not JSON. */
	if (!isfinite(ms) || ms < 0)
		ms = 0;
	sbuf_init(&line, 256, 0);
	log_head(&line, LOG_INFO, reqid, "request");
	sbuf_addstr(&line, ",\"method\":");
	log_add_str(&line, method ? method : "");
	sbuf_addstr(&line, ",\"path\":");
	log_add_str(&line, path ? path : "");
	sbuf_addf(&line, ",\"status\":%d,\"ms\":%.3f,\"sql\":%u}\n", status, ms,
		  sql);
	log_write(&line);
	sbuf_release(&line);
	errno = saved;
}
