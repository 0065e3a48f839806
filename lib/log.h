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

/* log_access: the per-request line: reqId, method, path, status, duration
 * in milliseconds and SQL statement count. */
void log_access(const char *reqid, const char *method, const char *path,
		int status, double ms, unsigned sql);

#endif
