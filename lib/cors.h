/* cors.h: Cross-Origin Resource Sharing, as NestJS's enableCors() answers. */
#ifndef AGORA_CORS_H
#define AGORA_CORS_H

#include <stdbool.h>

#include "req.h"

/*
 * cors_apply: add to r the CORS headers its answer needs, before routing,
 * so that errors carry them too. origins is CORS_ORIGINS: "" (CORS off:
 * nothing is added and OPTIONS is routed like any method), "*" (any
 * origin: Access-Control-Allow-Origin: *), or a comma-separated list of
 * origins ("https://shop.example,http://localhost:5173"): a request whose
 * Origin is listed gets it back in Access-Control-Allow-Origin, any other
 * gets no Allow-Origin, and every answer says Vary: Origin.
 * Returns true when r is a preflight (OPTIONS), which it has answered:
 * 204 with Access-Control-Allow-Methods/-Headers/-Max-Age.
 */
bool cors_apply(struct req *r, const char *origins);

#endif
