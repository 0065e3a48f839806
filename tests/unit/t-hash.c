/* t-hash.c: FNV-1a against its published test vectors. */
#include "common.h"

#include "hash.h"
#include "tap.h"

int main(void)
{
	uint64_t h;

	is_int(hash_fnv32("", 0), 0x811c9dc5, "fnv32 of nothing: the basis");
	is_int(hash_fnv32("a", 1), 0xe40c292c, "fnv32 of a");
	is_int(hash_fnv32("foobar", 6), 0xbf9cf968, "fnv32 of foobar");
	ok(hash_fnv64(HASH_FNV64_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL,
	   "fnv64 of a");
	ok(hash_fnv64(HASH_FNV64_INIT, "foobar", 6) == 0x85944171f73967e8ULL,
	   "fnv64 of foobar");
	h = hash_fnv64(HASH_FNV64_INIT, "foo", 3);
	ok(hash_fnv64(h, "bar", 3) == 0x85944171f73967e8ULL,
	   "fnv64 continued: foo then bar is foobar");
	return done_testing();
}
