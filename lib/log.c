/* log.c: one JSON object per line on stderr; a responder's request lines
 * gathered into one write(2) a second. */
#include "common.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
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

/*
 * Request lines in batches (log_batch_start). Writing a line costs a
 * responder a write(2) per request, about a tenth of what a cache hit
 * costs it in all; a busy responder gathers its request lines instead
 * and writes them together, as lighttpd does its own access log (and
 * nginx with "buffer= flush="). A line waits at most LOG_BATCH_MS: a
 * thread of its own writes what is waiting then, whether or not another
 * request comes. Every other line is written at once, after the waiting
 * ones, so lines stay in order. The batch is at most PIPE_BUF bytes, so
 * that its one write is not interleaved with another process's.
 * log_lock guards the batch and every write to stderr.
 */
#define LOG_BATCH_MS 1000

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t log_wake;
static pthread_t log_flusher;
static bool log_batching, log_batch_stopping, log_flusher_idle;
static char log_batch[PIPE_BUF];
static size_t log_batch_len;

/* Called with log_lock held, or from a crash signal's handler: it only
 * writes, which is async-signal-safe. */
static void log_batch_flush(void)
{
	struct sbuf sb = { .buf = log_batch, .len = log_batch_len };

	log_write(&sb);
	log_batch_len = 0;
}

static void *log_flusher_main(void *arg)
{
	struct timespec at;

	(void)arg;
	pthread_mutex_lock(&log_lock);
	while (!log_batch_stopping) {
		if (!log_batch_len) {
			log_flusher_idle = true;
			pthread_cond_wait(&log_wake, &log_lock);
			log_flusher_idle = false;
			continue;
		}
		/*
		 * The line that woke us was just added: in a second, write
		 * whatever waits then. Batches the request loop writes
		 * itself meanwhile (a full one) do not wake us: a wake-up
		 * a batch would cost more than the write it saves.
		 */
		clock_gettime(CLOCK_MONOTONIC, &at);
		at.tv_sec += LOG_BATCH_MS / 1000;
		while (!log_batch_stopping &&
		       pthread_cond_timedwait(&log_wake, &log_lock, &at) !=
			       ETIMEDOUT)
			;
		log_batch_flush();
	}
	log_batch_flush();
	pthread_mutex_unlock(&log_lock);
	return NULL;
}

static struct sigaction log_crash_old[NSIG];
static const int log_crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
					 SIGABRT };

/*
 * A responder that crashes writes the lines still waiting (write(2) is
 * async-signal-safe; a line being added may be cut), then gives the
 * signal to whoever had it before (the default, or a sanitizer's
 * handler): a fault happens again on return, a sent signal is raised.
 */
static void log_on_crash(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	log_batch_flush();
	sigaction(sig, &log_crash_old[sig], NULL);
	if (si->si_code <= 0)
		raise(sig);
}

void log_batch_start(void)
{
	pthread_condattr_t ca;
	struct sigaction sa;
	sigset_t all, old;
	size_t i;
	int rc;

	if (log_batching)
		return;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&log_wake, &ca);
	pthread_condattr_destroy(&ca);
	/* The thread blocks every signal: a SIGTERM must reach the request
	 * loop, whose accept() it interrupts. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&log_flusher, NULL, log_flusher_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		pthread_cond_destroy(&log_wake);
		return; /* lines are written one by one, as before */
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = log_on_crash;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(log_crash_signals); i++)
		sigaction(log_crash_signals[i], &sa,
			  &log_crash_old[log_crash_signals[i]]);
	pthread_mutex_lock(&log_lock);
	log_batching = true;
	log_batch_stopping = false;
	pthread_mutex_unlock(&log_lock);
}

void log_batch_stop(void)
{
	size_t i;

	if (!log_batching)
		return;
	pthread_mutex_lock(&log_lock);
	log_batch_stopping = true;
	pthread_cond_signal(&log_wake);
	pthread_mutex_unlock(&log_lock);
	pthread_join(log_flusher, NULL);
	for (i = 0; i < ARRAY_SIZE(log_crash_signals); i++)
		sigaction(log_crash_signals[i],
			  &log_crash_old[log_crash_signals[i]], NULL);
	pthread_cond_destroy(&log_wake);
	log_batching = false;
}

/*
 * Write a line, after the ones waiting; or, for a request line (batch)
 * while the batch is on, add it to them.
 */
static void log_line(struct sbuf *sb, bool batch)
{
	pthread_mutex_lock(&log_lock);
	if (batch && log_batching && !log_batch_stopping &&
	    sb->len <= sizeof(log_batch)) {
		if (log_batch_len + sb->len > sizeof(log_batch))
			log_batch_flush();
		if (log_flusher_idle) {
			log_flusher_idle = false;
			pthread_cond_signal(&log_wake);
		}
		memcpy(log_batch + log_batch_len, sb->buf, sb->len);
		log_batch_len += sb->len;
	} else {
		if (log_batch_len)
			log_batch_flush();
		log_write(sb);
	}
	pthread_mutex_unlock(&log_lock);
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
	log_line(&line, false);
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
	log_line(&line, true);
	sbuf_release(&line);
	errno = saved;
}
