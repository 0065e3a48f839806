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

/*
 * The request in hand. A responder serves one request at a time, so one
 * slot per process is enough; daemons never set it, and their other
 * threads (librdkafka's, the webhook's) log outside any request.
 */
static char log_reqid[65];

void log_request_begin(const char *reqid)
{
	snprintf(log_reqid, sizeof(log_reqid), "%s", reqid ? reqid : "");
}

void log_request_end(void)
{
	log_reqid[0] = '\0';
}

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
	/* The date and time to the second, formatted once a second: a
	 * responder logs thousands of lines in one. Per thread, as daemons
	 * log from several. */
	static _Thread_local time_t stamp_sec = -1;
	static _Thread_local char stamp[32];
	struct timespec ts;
	struct tm tm;
	char ms[5];
	long n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != stamp_sec) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		stamp_sec = ts.tv_sec;
	}
	n = ts.tv_nsec / 1000000L;
	ms[0] = '.';
	ms[1] = (char)('0' + n / 100 % 10);
	ms[2] = (char)('0' + n / 10 % 10);
	ms[3] = (char)('0' + n % 10);
	ms[4] = '\0';
	sbuf_addstr(sb, "{\"time\":\"");
	sbuf_addstr(sb, stamp);
	sbuf_addstr(sb, ms);
	sbuf_addstr(sb, "Z\",\"level\":\"");
	sbuf_addstr(sb, log_names[lvl]);
	sbuf_addstr(sb, "\",\"prog\":");
	log_add_str(sb, log_prog);
	if (!reqid && log_reqid[0])
		reqid = log_reqid;
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
	int saved = errno; /* callers may log and then look at errno */

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

/* Names whose values never reach the log, matched as substrings of the
 * lower-cased name. */
static const char *const log_secret_words[] = {
	"token", "pass", "secret", "key", "auth", "sig", "session", "cred",
};

static int log_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The name of one "name=value" pair, %XX and '+' decoded, lower-cased,
 * so that "access%5Ftoken" is recognised too. */
static bool log_secret_name(const char *s, size_t n)
{
	char name[64];
	size_t i, len = 0;

	for (i = 0; i < n && len + 1 < sizeof(name); i++) {
		char c = s[i];

		if (c == '%' && i + 2 < n && log_hex(s[i + 1]) >= 0 &&
		    log_hex(s[i + 2]) >= 0) {
			c = (char)(log_hex(s[i + 1]) * 16 + log_hex(s[i + 2]));
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		name[len++] = (char)((c >= 'A' && c <= 'Z') ? c | 0x20 : c);
	}
	name[len] = '\0';
	for (i = 0; i < ARRAY_SIZE(log_secret_words); i++)
		if (strstr(name, log_secret_words[i]))
			return true;
	return false;
}

/* The raw query with the values of secret-looking names masked. */
static void log_add_query(struct sbuf *sb, const char *q)
{
	struct sbuf out;
	const char *p = q, *amp, *eq;

	sbuf_init(&out, strlen(q) + 1, 0);
	while (*p) {
		amp = strchr(p, '&');
		if (!amp)
			amp = p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq && log_secret_name(p, (size_t)(eq - p))) {
			sbuf_add(&out, p, (size_t)(eq - p) + 1);
			sbuf_addstr(&out, "[redacted]");
		} else {
			sbuf_add(&out, p, (size_t)(amp - p));
		}
		if (!*amp)
			break;
		sbuf_addch(&out, '&');
		p = amp + 1;
	}
	log_add_str(sb, out.buf);
	sbuf_release(&out);
}

void log_access(const struct log_access *a)
{
	struct sbuf line;
	double ms = a->ms;
	int saved = errno;

	if (!log_enabled(LOG_INFO))
		return;
	/* "%.3f" of NaN or infinity is not JSON. */
	if (!isfinite(ms) || ms < 0)
		ms = 0;
	sbuf_init(&line, 256, 0);
	log_head(&line, LOG_INFO, a->reqid, "request");
	sbuf_addstr(&line, ",\"client\":");
	log_add_str(&line, a->client ? a->client : "");
	if (a->user_id > 0) {
		sbuf_addstr(&line, ",\"userId\":");
		sbuf_add_uint(&line, (unsigned long long)a->user_id);
	}
	sbuf_addstr(&line, ",\"method\":");
	log_add_str(&line, a->method ? a->method : "");
	sbuf_addstr(&line, ",\"path\":");
	log_add_str(&line, a->path ? a->path : "");
	if (a->query && *a->query) {
		sbuf_addstr(&line, ",\"query\":");
		log_add_query(&line, a->query);
	}
	/* Piece by piece: formats cost every request (sbuf_add_ms()). */
	sbuf_addstr(&line, ",\"status\":");
	sbuf_add_uint(&line, (unsigned)a->status);
	sbuf_addstr(&line, ",\"bytes\":");
	sbuf_add_uint(&line, a->bytes);
	sbuf_addstr(&line, ",\"ms\":");
	sbuf_add_ms(&line, ms);
	sbuf_addstr(&line, ",\"sql\":");
	sbuf_add_uint(&line, a->sql);
	sbuf_addstr(&line, "}\n");
	log_write(&line);
	sbuf_release(&line);
	errno = saved;
}
