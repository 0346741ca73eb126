/* util/racy.h: GN_HOGWILD marks the functions whose data races are intended. Hogwild training
 * (Recht, Re, Wright and Niu, 2011) lets worker threads read and update one shared weight table
 * without locks: a lost or torn update of a float costs nothing measurable, and locks would cost
 * most of the speed. ThreadSanitizer does not instrument the functions so marked (the learning
 * kernels of the model kinds, which touch only that table); every other access still does, so a
 * race anywhere else (counters, queues, the server's registry) still reports. The attribute
 * changes nothing in builds without ThreadSanitizer. */
#ifndef GN_UTIL_RACY_H
#define GN_UTIL_RACY_H

#if defined(__has_attribute)
#if __has_attribute(no_sanitize)
#define GN_HOGWILD __attribute__((no_sanitize("thread")))
#endif
#endif
#ifndef GN_HOGWILD
#define GN_HOGWILD
#endif

#endif
