/* clock.h: durations on the monotonic clock, and UTC times as text. */
#ifndef AGORA_CLOCK_H
#define AGORA_CLOCK_H

/*
 * clock_ms: CLOCK_MONOTONIC in milliseconds, with a fraction. Only the
 * difference of two readings means anything (durations, timeouts); it
 * never jumps when the wall clock is set.
 */
double clock_ms(void);

/*
 * clock_ago: the UTC time secs seconds before now, in db_now()'s format
 * ("YYYY-MM-DDTHH:MM:SS.000Z", whole seconds), into buf: the cutoff of a
 * "older than N minutes" query, which both database backends compare
 * with their timestamp columns.
 */
void clock_ago(char buf[32], long secs);

#endif
