/* fallback.c: every URL no other responder owns: the NestJS-shaped 404. */
#include "common.h"

#include "app.h"

static const struct route routes[] = {
	{ NULL },
};

APP_MAIN("fallback", routes, 0)
