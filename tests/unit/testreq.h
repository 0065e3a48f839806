/* testreq.h: the ends of a request's I/O for unit tests that build a
 * struct req without FastCGI. */
#ifndef AGORA_TESTREQ_H
#define AGORA_TESTREQ_H

#include "req.h"
#include "sbuf.h"

/* testreq_no_body: a request with an empty body. */
static inline int testreq_no_body(void *ctx, char *buf, int n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return 0;
}

/* testreq_discard: the response thrown away. */
static inline int testreq_discard(void *ctx, const char *buf, int n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return 0;
}

/* testreq_capture: the response appended to the struct sbuf ctx. */
static inline int testreq_capture(void *ctx, const char *buf, int n)
{
	return sbuf_add(ctx, buf, (size_t)n);
}

#endif
