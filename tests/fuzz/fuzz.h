/* fuzz.h: what the libFuzzer harnesses of tests/fuzz share. */
#ifndef AGORA_FUZZ_H
#define AGORA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The entry point libFuzzer calls with each input; 0 keeps the input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * FUZZ_CHECK: a property every input must keep. A broken one aborts, which
 * libFuzzer reports as a crash and saves the input that broke it, like a
 * sanitizer's report.
 */
#define FUZZ_CHECK(cond, what)                                               \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: property broken: %s (%s)\n", \
				__FILE__, __LINE__, what, #cond);            \
			abort();                                             \
		}                                                            \
	} while (0)

#endif
