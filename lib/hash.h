/* hash.h: FNV-1a, the non-cryptographic hash of agora's tables and names. */
#ifndef AGORA_HASH_H
#define AGORA_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV64_INIT 14695981039346656037ULL

/* hash_fnv32: the 32-bit FNV-1a of n bytes at p: the slot of a small
 * table (statements, tallies, cache generations, tokens). */
uint32_t hash_fnv32(const void *p, size_t n);

/*
 * hash_fnv64: the 64-bit FNV-1a of n bytes at p, continuing from h
 * (HASH_FNV64_INIT to start): the name of a shared file or memory
 * object, from several strings one after the other.
 */
uint64_t hash_fnv64(uint64_t h, const void *p, size_t n);

#endif
