/* hash.c: FNV-1a, the non-cryptographic hash of agora's tables and names. */
#include "common.h"

#include "hash.h"

uint32_t hash_fnv32(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *c++) * 16777619u;
	return h;
}

uint64_t hash_fnv64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		h = (h ^ *c++) * 1099511628211ULL;
	return h;
}
