/* log.h: JSON lines on stderr (lighttpd keeps a responder's stderr). */
#ifndef AGORA_LOG_H
#define AGORA_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* log_init: the program name put on every line, and the lowest level
 * written ("debug", "info", "warn", "error"; NULL or unknown = info). */
void log_init(const char *prog, const char *level);

/*
 * log_msg: one line {"time","level","prog","reqId"?,"msg"}. reqid may be
 * NULL outside a request. The message is escaped; never pass it secrets.
 */
void log_msg(enum log_level lvl, const char *reqid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * log_request_begin: lines logged from now on without a request id of
 * their own (a library deep in a handler rarely has one) carry reqid,
 * until log_request_end(). reqid is copied.
 */
void log_request_begin(const char *reqid);
void log_request_end(void);

/* What the per-request line says; strings may be NULL. */
struct log_access {
	const char *reqid;
	const char *client; /* REMOTE_ADDR */
	long long user_id; /* 0 when not authenticated */
	const char *method;
	const char *path; /* decoded, without the query */
	const char *query; /* raw, as sent; secrets are masked here */
	int status;
	size_t bytes; /* response body */
	double ms;
	unsigned sql; /* SQL statements run */
};

/*
 * log_access: the per-request line at info level: reqId, client, userId
 * (when set), method, path, query (the values of parameters whose name
 * says token, password, secret, key, auth, signature or session are
 * written as "[redacted]"), status, bytes, ms, sql.
 */
void log_access(const struct log_access *a);

/*
 * log_batch_start: from now on log_access() lines wait, in this process,
 * until a second has passed since the first of them, PIPE_BUF bytes are
 * waiting, another line is logged, log_batch_stop() or a crash signal,
 * and are then written together (a thread of this process writes them
 * when no request comes). log_batch_stop writes what waits and ends the
 * thread. For a FastCGI responder's request loop; not after fork().
 */
void log_batch_start(void);
void log_batch_stop(void);

#endif
