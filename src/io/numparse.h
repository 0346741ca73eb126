/* io/numparse.h: exact, fast parsing of the numbers in text data (labels, indices, values).
 * No locale, no allocation, no NUL terminator needed: each call parses [p, end). */
#ifndef GN_IO_NUMPARSE_H
#define GN_IO_NUMPARSE_H

#include <stdint.h>

/* Parses a decimal floating-point number: optional sign, digits with an optional '.', optional
 * exponent (e/E, sign, digits), and "inf"/"nan" are rejected. The result is correctly rounded
 * (bit-identical to strtod on the same text). Returns a pointer just past the number, or NULL
 * if [p, end) does not start with a number. Leading whitespace is not skipped.
 * Like strtod, an 'e' without exponent digits ends the number before the 'e' ("1e" reads 1 and
 * returns a pointer to the 'e'). Unlike strtod: hex floats ("0x...") and values that overflow
 * to infinity return NULL; underflow gives 0 or a subnormal, as strtod does. *out is written
 * only on success. Thread-safe; independent of the locale. */
const char *gn__parse_double(const char *p, const char *end, double *out);

/* Parses an unsigned decimal integer (no sign). Returns a pointer past it, or NULL if there is
 * no digit or the value exceeds UINT64_MAX. */
const char *gn__parse_u64(const char *p, const char *end, uint64_t *out);

#endif
