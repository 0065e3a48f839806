/* t-log.c: the JSON lines on stderr, read back and parsed with json-c. */
#include "common.h"

#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"
#include "tap.h"

static char path[64];
static int saved_stderr = -1;

/* Point stderr at an empty temp file. */
static void capture(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/agora-t-log-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp");
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Restore stderr; return what was written (free()). */
static char *captured(void)
{
	FILE *f;
	char *text;
	long n;

	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	f = fopen(path, "r");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0)
		die("cannot read %s", path);
	rewind(f);
	text = xmalloc((size_t)n + 1);
	text[fread(text, 1, (size_t)n, f)] = '\0';
	fclose(f);
	unlink(path);
	return text;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The keys of an object, comma-joined in order. */
static void key_order(struct json_object *o, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	json_object_object_foreach (o, key, val) {
		(void)val;
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					len ? "," : "", key);
		if (len >= size)
			break;
	}
}

static const char *field(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
		       json_object_get_string(v) :
		       NULL;
}

static bool time_ok(const char *t)
{
	/* 2026-11-24T14:24:26.123Z */
	return t && strlen(t) == 24 && t[4] == '-' && t[7] == '-' &&
	       t[10] == 'T' && t[13] == ':' && t[16] == ':' && t[19] == '.' &&
	       t[23] == 'Z' && !strncmp(t, "20", 2);
}

static void test_msg(void)
{
	struct json_object *o;
	char *out, keys[256];

	log_init("auth", "info");
	capture();
	log_msg(LOG_INFO, "req-1", "said \"%s\"\nthen\t%d\\", "hi", 7);
	out = captured();
	is_int((long long)count_lines(out), 1, "one line");
	ok(out[strlen(out) - 1] == '\n', "ends with a newline");
	o = json_tokener_parse(out);
	ok(o != NULL, "line is JSON: %.*s", (int)strcspn(out, "\n"), out);
	key_order(o, keys, sizeof(keys));
	is_str(keys, "time,level,prog,reqId,msg", "fields in order");
	ok(time_ok(field(o, "time")), "ISO time with ms: %s", field(o, "time"));
	is_str(field(o, "level"), "info", "level");
	is_str(field(o, "prog"), "auth", "prog");
	is_str(field(o, "reqId"), "req-1", "reqId");
	is_str(field(o, "msg"), "said \"hi\"\nthen\t7\\",
	       "quotes, newline, tab and backslash survive");
	ok(strstr(out, "\\n") && strstr(out, "\\\"") && !strchr(out, '\t'),
	   "escaped in the raw line");
	json_object_put(o);
	free(out);

	capture();
	log_msg(LOG_ERROR, NULL, "%s", "\x01 ctl");
	out = captured();
	o = json_tokener_parse(out);
	key_order(o, keys, sizeof(keys));
	is_str(keys, "time,level,prog,msg", "no reqId outside a request");
	is_str(field(o, "level"), "error", "error level name");
	is_str(field(o, "msg"), "\x01 ctl", "control character round-trips");
	json_object_put(o);
	free(out);
}

static void test_levels(void)
{
	struct json_object *o;
	char *out;

	log_init("users", "info");
	capture();
	log_msg(LOG_DEBUG, NULL, "hidden");
	log_msg(LOG_WARN, NULL, "shown");
	out = captured();
	is_int((long long)count_lines(out), 1, "debug dropped at info");
	o = json_tokener_parse(out);
	is_str(field(o, "level"), "warn", "warn kept");
	json_object_put(o);
	free(out);

	log_init("users", "error");
	capture();
	log_msg(LOG_WARN, NULL, "hidden");
	log_access(&(struct log_access){ .reqid = "r",
					 .method = "GET",
					 .path = "/api/x",
					 .status = 200 });
	log_msg(LOG_ERROR, NULL, "shown");
	out = captured();
	is_int((long long)count_lines(out), 1,
	       "warn and access dropped at error");
	free(out);

	log_init("users", "debug");
	capture();
	log_msg(LOG_DEBUG, NULL, "now shown");
	out = captured();
	is_int((long long)count_lines(out), 1, "debug kept at debug");
	free(out);

	log_init("users", "loud");
	capture();
	log_msg(LOG_DEBUG, NULL, "hidden");
	log_msg(LOG_INFO, NULL, "shown");
	errno = ENOENT;
	log_msg(LOG_INFO, NULL, "errno kept");
	is_int(errno, ENOENT, "logging leaves errno alone");
	out = captured();
	is_int((long long)count_lines(out), 2, "unknown level means info");
	free(out);

	log_init("users", NULL);
	capture();
	log_msg(LOG_DEBUG, NULL, "hidden");
	out = captured();
	is_str(out, "", "NULL level means info");
	free(out);
}

static void test_access(void)
{
	struct json_object *o;
	char *out, keys[256];
	struct log_access a = {
		.reqid = "abc123",
		.client = "192.0.2.7",
		.user_id = 42,
		.method = "POST",
		.path = "/api/orders\"x\"",
		.query = "page=2&access_token=eyJ.a.b&Pass%77ord=x&size=5",
		.status = 201,
		.bytes = 321,
		.ms = 12.3456,
		.sql = 3,
	};

	log_init("orders", "info");
	capture();
	log_access(&a);
	out = captured();
	o = json_tokener_parse(out);
	ok(o != NULL, "access line is JSON: %.*s", (int)strcspn(out, "\n"),
	   out);
	key_order(o, keys, sizeof(keys));
	is_str(keys,
	       "time,level,prog,reqId,msg,client,userId,method,path,"
	       "query,status,bytes,ms,sql",
	       "access fields in order");
	is_str(field(o, "msg"), "request", "msg is request");
	is_str(field(o, "level"), "info", "at info");
	is_str(field(o, "client"), "192.0.2.7", "client address");
	is_str(field(o, "userId"), "42", "user id");
	is_str(field(o, "method"), "POST", "method");
	is_str(field(o, "path"), "/api/orders\"x\"", "path escaped");
	is_str(field(o, "query"),
	       "page=2&access_token=[redacted]&Pass%77ord=[redacted]&size=5",
	       "secret values masked, the rest as sent");
	ok(!strstr(out, "eyJ"), "the token is nowhere in the line");
	is_str(field(o, "status"), "201", "status");
	is_str(field(o, "bytes"), "321", "bytes");
	ok(strstr(out, "\"ms\":12.346,") != NULL, "ms with 3 decimals");
	is_str(field(o, "sql"), "3", "sql count");
	json_object_put(o);
	free(out);

	/* Anonymous, no query: neither userId nor query. */
	capture();
	log_access(&(struct log_access){ .reqid = "r1",
					 .client = "::1",
					 .method = "GET",
					 .path = "/api/x",
					 .status = 200 });
	out = captured();
	o = json_tokener_parse(out);
	key_order(o, keys, sizeof(keys));
	is_str(keys,
	       "time,level,prog,reqId,msg,client,method,path,status,"
	       "bytes,ms,sql",
	       "no userId, no query");
	json_object_put(o);
	free(out);

	/* A path with bytes that are not UTF-8 must not break the line. */
	capture();
	log_access(&(struct log_access){ .reqid = "r2",
					 .method = "GET",
					 .path = "/api/\xff\xfe/x",
					 .query = "q=\xff",
					 .status = 404,
					 .ms = NAN });
	out = captured();
	o = json_tokener_parse(out);
	ok(o != NULL, "invalid UTF-8 path still gives JSON");
	is_str(field(o, "path"),
	       "/api/?"
	       "?/x",
	       "bad bytes replaced");
	is_str(field(o, "query"), "q=?", "in the query too");
	ok(strstr(out, "\"ms\":0.000,") != NULL, "NaN duration written as 0");
	json_object_put(o);
	free(out);

	capture();
	log_access(&(struct log_access){ .reqid = "r3",
					 .method = "GET",
					 .path = "/api/caf\xc3\xa9",
					 .status = 200 });
	out = captured();
	o = json_tokener_parse(out);
	is_str(field(o, "path"), "/api/caf\xc3\xa9", "valid UTF-8 kept");
	json_object_put(o);
	free(out);
}

/* Lines without a request id of their own carry the request's. */
static void test_request_context(void)
{
	struct json_object *o;
	char *out;

	log_init("users", "debug");
	capture();
	log_request_begin("ctx-9");
	log_msg(LOG_DEBUG, NULL, "deep in a library");
	log_msg(LOG_WARN, "own-1", "has its own");
	log_request_end();
	log_msg(LOG_INFO, NULL, "after the request");
	out = captured();
	is_int((long long)count_lines(out), 3, "three lines");
	o = json_tokener_parse(out);
	is_str(field(o, "reqId"), "ctx-9", "the request's id");
	json_object_put(o);
	o = json_tokener_parse(strchr(out, '\n') + 1);
	is_str(field(o, "reqId"), "own-1", "an explicit id wins");
	json_object_put(o);
	o = json_tokener_parse(strrchr(out, '{'));
	ok(o && !field(o, "reqId"), "none after the request");
	json_object_put(o);
	free(out);
}

static long long file_size(void)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long long)st.st_size;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void access_line(const char *reqid)
{
	log_access(&(struct log_access){ .reqid = reqid,
					 .client = "127.0.0.1",
					 .method = "GET",
					 .path = "/api/issues/popular",
					 .status = 200,
					 .bytes = 1933 });
}

/* Request lines in batches: late by a second at most, in order with
 * the others, whole lines only, and not lost to a crash. */
static void test_batch(void)
{
	char *out, id[16];
	double t0, waited;
	long long size = 0;
	bool early;
	size_t i;
	pid_t pid;
	int status;

	log_init("issues", "info");
	capture();
	log_batch_start();
	t0 = now_s();
	access_line("b1");
	access_line("b2");
	early = now_s() - t0 < 0.5;
	ok(file_size() == 0 || !early, "request lines wait");
	log_msg(LOG_WARN, NULL, "a warning");
	out = captured();
	is_int((long long)count_lines(out), 3,
	       "another line writes the waiting ones first");
	ok(strstr(out, "\"b1\"") && strstr(out, "\"b2\"") &&
		   strstr(out, "\"b2\"") < strstr(out, "a warning"),
	   "in the order they were logged");
	free(out);

	capture();
	t0 = now_s();
	access_line("late");
	while ((size = file_size()) == 0 && now_s() - t0 < 10)
		usleep(20 * 1000);
	waited = now_s() - t0;
	ok(size > 0, "a waiting line is written with no other line after it");
	ok(waited >= 0.5, "about a second later (%.2f s)", waited);
	out = captured();
	is_int((long long)count_lines(out), 1, "one line");
	free(out);

	/* More than PIPE_BUF bytes: written by whole lines as they come. */
	capture();
	for (i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "many-%zu", i);
		access_line(id);
	}
	size = file_size();
	ok(size > 0, "a full batch is written at once (%lld bytes)", size);
	log_batch_stop();
	out = captured();
	is_int((long long)count_lines(out), 40, "stop writes the rest");
	ok(strstr(out, "\"many-0\"") < strstr(out, "\"many-39\""), "in order");
	free(out);

	/* After stop, lines go out one by one again. */
	capture();
	access_line("after");
	ok(file_size() > 0, "after log_batch_stop a line is written at once");
	free(captured());

	/* A responder that aborts writes the lines still waiting. */
	capture();
	pid = fork();
	if (pid == 0) {
		log_batch_start();
		access_line("before-the-crash");
		abort();
	}
	waitpid(pid, &status, 0);
	out = captured();
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	   "the child died of SIGABRT");
	ok(strstr(out, "\"before-the-crash\"") != NULL,
	   "its waiting line was written first");
	free(out);
}

int main(void)
{
	test_msg();
	test_levels();
	test_access();
	test_request_context();
	test_batch();
	return done_testing();
}
