/* util/topk.h: the most frequent items of a stream in bounded memory: the Space-Saving algorithm
 * (Metwally, Agrawal, El Abbadi 2005) with `capacity` counters. An item seen for the first time
 * while a counter is free is counted exactly from then on; once all are taken, a new item takes
 * over the counter with the smallest count c and starts at c + 1 with an error bound of c. So
 * every item whose true count exceeds total / capacity is held, each held count is at most its
 * error above the truth, and a count whose error is 0 is exact. While the stream has at most
 * `capacity` distinct items every count is exact. Items are identified by a 64-bit hash (the
 * caller's) and shown by a text kept at their first sight (cut to max_text bytes). All memory is
 * taken by gn__topk_new; adding never allocates (merging does). One thread at a time. */
#ifndef GN_UTIL_TOPK_H
#define GN_UTIL_TOPK_H

#include <stddef.h>
#include <stdint.h>

typedef struct gn_topk gn_topk;

typedef struct gn_topk_item {
    uint64_t id;      /* the item's hash */
    uint64_t count;   /* counted occurrences (an upper bound; exact when error is 0) */
    uint64_t error;   /* how much count may exceed the truth */
    const char *text; /* its text (not NUL-terminated; owned by the counter) */
    size_t text_len;
    int text_cut;     /* 1 if the text was longer than max_text and is cut */
} gn_topk_item;

/* capacity >= 1 counters, texts of up to max_text bytes. Returns 0, or -1 when out of memory. */
int gn__topk_new(size_t capacity, size_t max_text, gn_topk **out);
void gn__topk_free(gn_topk *t);
/* Counts one occurrence of the item id, shown as text[0, len). */
void gn__topk_add(gn_topk *t, uint64_t id, const char *text, size_t len);
/* Every held item (gn__topk_size of them: out must have room) by decreasing count (ties: by
 * text, then id); returns how many. The texts are valid until the next add. */
size_t gn__topk_items(const gn_topk *t, gn_topk_item *out);
/* Adds the counts of `from` to `into` (the summary of both streams; Agarwal et al., "Mergeable
 * summaries", 2012): an item held by both gets the sum of counts and errors; an item held by one
 * gets, from a full other summary, that summary's smallest count as count and error (it may have
 * been there uncounted); the `into` capacity largest are kept. The guarantees of one summary hold
 * for the merged one: count >= truth >= count - error, and while the two streams together have at
 * most `into`'s capacity distinct items (and neither summary was ever full), every count is
 * exact. Returns 0, or -1 when out of memory (into unchanged). */
int gn__topk_merge(gn_topk *into, const gn_topk *from);
/* Items held, and occurrences added in all. */
size_t gn__topk_size(const gn_topk *t);
uint64_t gn__topk_total(const gn_topk *t);

#endif
