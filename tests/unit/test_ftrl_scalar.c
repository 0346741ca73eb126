/* test_ftrl_scalar.c: test_ftrl_vec.c's checks on the portable loops of learn/ftrl_vec.h (what a
 * CPU without SSE runs), compiled here on any CPU. */
#define GN_FTRL_SCALAR 1
#include "test_ftrl_vec.c"
