/* err.h: the error value every fallible call fills, and its HTTP mapping. */
#ifndef AGORA_ERR_H
#define AGORA_ERR_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Codes are the HTTP statuses a client may see; the sink (http_send_error)
 * turns one into the NestJS-shaped body of docs/api.md, "Error shapes".
 */
enum err_code {
	ERR_NONE = 0,
	ERR_BAD_REQUEST = 400,
	ERR_UNAUTHORIZED = 401,
	ERR_FORBIDDEN = 403,
	ERR_NOT_FOUND = 404,
	ERR_CONFLICT = 409,
	ERR_TOO_LARGE = 413,
	ERR_UNSUPPORTED_MEDIA = 415,
	ERR_TOO_MANY = 429,
	ERR_INTERNAL = 500,
	ERR_UNAVAILABLE = 503,
};

/* At most this many validation messages are kept; the rest are counted. */
#define ERR_LIST_MAX 100

/*
 * An error: a code, a message for the client (empty = the status's default
 * text), and for validation failures a list of messages sent as an array:
 * the first ERR_LIST_MAX of them, and in `more` how many were left out
 * (a body of 80,000 unknown keys costs a bounded answer).
 * For 5xx codes `msg` is only logged: the client sees the default text.
 * The first error set is the one kept; later err_set() calls are ignored,
 * except that err_add() keeps collecting validation messages.
 */
struct err {
	int code;
	char msg[256];
	char **list;
	size_t nlist;
	bool shown; /* msg is for the client even on a 5xx (err_show) */
	size_t more; /* validation messages beyond ERR_LIST_MAX */
};

#define ERR_INIT                         \
	{                                \
		0, "", NULL, 0, false, 0 \
	}

void err_init(struct err *e);
/* err_release: free the message list; e is reset to ERR_NONE. */
void err_release(struct err *e);
/* err_set: record code and message (fmt may be NULL); returns -1. */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* err_show: err_set() for a message written for the client, which the
 * sink shows even for a 5xx ("Search is unavailable"). Never pass it a
 * driver's or a dependency's text. Returns -1. */
int err_show(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* err_add: append a validation message; the code becomes 400 unless
 * another code was set first. Past ERR_LIST_MAX messages it only counts
 * them in e->more. Returns -1. */
int err_add(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* err_status_text: "Bad Request", "Not Found", ... for a status code. */
const char *err_status_text(int code);

#endif
