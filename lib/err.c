/* err.c: recording errors; the first one set wins. */
#include "common.h"
#include "err.h"
#include "utf8.h"

void err_init(struct err *e)
{
	e->code = ERR_NONE;
	e->msg[0] = '\0';
	e->list = NULL;
	e->nlist = 0;
	e->shown = false;
	e->more = 0;
}

void err_release(struct err *e)
{
	size_t i;

	for (i = 0; i < e->nlist; i++)
		free(e->list[i]);
	free(e->list);
	err_init(e);
}

/*
 * err_vfmt: vsnprintf into buf, and when the text did not fit, drop the
 * character it was cut in the middle of: messages quote what clients
 * sent (a URL, a property name), and half a character is not UTF-8.
 */
static void err_vfmt(char *buf, size_t size, const char *fmt, va_list ap)
{
	int want = vsnprintf(buf, size, fmt, ap);
	size_t len, ok;

	if (want < 0 || (size_t)want < size)
		return;
	len = strlen(buf);
	ok = utf8_valid_prefix(buf, len);
	/* Only a cut at the end: bad bytes elsewhere are the sink's. */
	if (len - ok < 4)
		buf[ok] = '\0';
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->code != ERR_NONE)
		return -1;
	e->code = code;
	e->msg[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		err_vfmt(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

int err_show(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->code != ERR_NONE)
		return -1;
	e->code = code;
	e->shown = true;
	va_start(ap, fmt);
	err_vfmt(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int err_add(struct err *e, const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	if (!e)
		return -1;
	if (e->code == ERR_NONE)
		e->code = ERR_BAD_REQUEST;
	if (e->code != ERR_BAD_REQUEST)
		return -1;
	if (e->nlist >= ERR_LIST_MAX) {
		e->more++;
		return -1;
	}
	va_start(ap, fmt);
	err_vfmt(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	e->list = xrealloc(e->list, (e->nlist + 1) * sizeof(*e->list));
	e->list[e->nlist++] = xstrdup(buf);
	return -1;
}

const char *err_status_text(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}
