/* utf8.h: UTF-8 checks shared by the query parser and the validators. */
#ifndef AGORA_UTF8_H
#define AGORA_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* utf8_valid: len bytes of well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
bool utf8_valid(const char *s, size_t len);
/* utf8_valid_prefix: the length of the longest prefix of s made of whole,
 * well-formed characters; len when utf8_valid(), else the offset of the
 * first bad sequence. */
size_t utf8_valid_prefix(const char *s, size_t len);
/* utf8_len: the number of code points in valid, NUL-terminated UTF-8. */
size_t utf8_len(const char *s);
/* utf8_utf16_len: the number of UTF-16 code units of valid, NUL-terminated
 * UTF-8: a character above U+FFFF (an emoji) counts two. This is the
 * length JavaScript's String.length, and so class-validator, sees. */
size_t utf8_utf16_len(const char *s);

#endif
