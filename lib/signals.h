/* signals.h: the signal set-up every agora process shares. */
#ifndef AGORA_SIGNALS_H
#define AGORA_SIGNALS_H

/*
 * signals_on_stop: SIGTERM and SIGINT call fn, installed without
 * SA_RESTART so that a blocking call (accept, sleep, poll) returns EINTR
 * at once and the caller sees its stop flag; SIGPIPE is ignored, so a
 * peer that went away is an EPIPE to handle, not the end of the process.
 * fn must be async-signal-safe (set a volatile sig_atomic_t).
 */
void signals_on_stop(void (*fn)(int sig));

#endif
