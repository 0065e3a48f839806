/* tap.h: a minimal Test Anything Protocol producer for the unit tests. */
#ifndef AGORA_TAP_H
#define AGORA_TAP_H

#include <stdio.h>
#include <stdarg.h>
#include <string.h>

static int tap_n, tap_failed;

/* ok: one test point; extra printf-style arguments name it. */
#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* is_str: string equality, printing both sides on failure. */
#define is_str(got, want, ...)                                          \
	do {                                                            \
		const char *g_ = (got), *w_ = (want);                   \
		int same_ = (g_ && w_) ? !strcmp(g_, w_) : g_ == w_;    \
		if (!tap_ok(same_, __FILE__, __LINE__, __VA_ARGS__))    \
			printf("#   got: '%s'\n#  want: '%s'\n",        \
			       g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
	} while (0)
/* is_int: integer equality, printing both sides on failure. */
#define is_int(got, want, ...)                                            \
	do {                                                              \
		long long g_ = (got), w_ = (want);                        \
		if (!tap_ok(g_ == w_, __FILE__, __LINE__, __VA_ARGS__))   \
			printf("#   got: %lld\n#  want: %lld\n", g_, w_); \
	} while (0)

__attribute__((format(printf, 4, 5))) static int
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", pass ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return pass;
}

/* tap_skip_all: the whole file does not apply here. */
static inline int tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	return 0;
}

/* done_testing: print the plan; the exit status tells make check. */
static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
