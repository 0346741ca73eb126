/* test_ftrl_vec.c: the vectorised FTRL-Proximal arithmetic (learn/ftrl_vec.h) against the closed
 * form written out in double, one coordinate at a time: weights (with l1 shrinking to exact
 * zeros, both signs, never -0), the score, and the step of z and n, for example lengths that fill
 * whole vectors and that do not (padded lanes must not leak into the score). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "learn/ftrl_vec.h"

#if defined(GN_FTRL_SCALAR) && defined(GN_FTRL_SSE)
#error "GN_FTRL_SCALAR must select the portable loops"
#endif

#define MAXN 37

static double closed_form(double z, double n, const gn_ftrl_consts *c) {
    const double a = fabs(z) - c->l1;
    if (a <= 0) return 0.0;
    return -copysign(a, z) / ((c->beta + sqrt(n)) * c->inv_alpha + c->l2);
}

static uint64_t rng = 7;
static double uniform(void) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void near(double got, double want, double rel) {
    if (fabs(got - want) > rel * (fabs(want) + 1e-30)) fail_msg("%.9g != %.9g (relative tolerance %g)", got, want, rel);
}

static void test_weights_score_and_step(void **state) {
    (void)state;
    const gn_ftrl_consts consts[] = {{10.0f, 1.0f, 1.0f, 0.0f}, {2.0f, 0.5f, 0.0f, 0.25f}, {1.0f, 1.0f, 3.0f, 1.0f}};
    for (size_t ci = 0; ci < sizeof consts / sizeof *consts; ci++) {
        int zeros = 0, signs[2] = {0, 0};
        for (size_t n = 1; n <= MAXN; n++) {
            const gn_ftrl_consts *c = &consts[ci];
            float z[MAXN + 4], nn[MAXN + 4], x[MAXN + 4], r[MAXN + 4], v[MAXN + 4];
            double dz[MAXN], dn[MAXN];
            for (size_t i = 0; i < n; i++) {
                z[i] = (float)((uniform() - 0.5) * 8.0);
                nn[i] = i % 7 == 3 ? 0.0f : (float)(uniform() * 50.0);
                x[i] = (float)((uniform() - 0.3) * 2.0);
                dz[i] = z[i];
                dn[i] = nn[i];
            }
            /* garbage past the example: padding must overwrite it */
            for (size_t i = n; i < MAXN + 4; i++) z[i] = nn[i] = x[i] = 1e30f;
            gn__ftrl_pad(z, nn, x, n);
            const double s = gn__ftrl_weights(c, z, nn, x, r, v, n);
            double want_s = 0.0;
            for (size_t i = 0; i < n; i++) {
                const double w = closed_form(dz[i], dn[i], c);
                near(r[i], sqrt(dn[i]), 1e-6);
                near(v[i], w, 1e-5);
                assert_false(signbit(v[i]) && v[i] == 0.0f); /* never -0 */
                zeros += v[i] == 0.0f;
                if (v[i] != 0.0f) signs[v[i] > 0]++;
                want_s += w * x[i];
            }
            if (fabs(s - want_s) > 1e-5 * (1.0 + fabs(want_s))) fail_msg("score %.9g != %.9g", s, want_s);

            const float d = -0.37f;
            gn__ftrl_step(c, d, x, r, v, z, nn, n);
            for (size_t i = 0; i < n; i++) {
                const double g = (double)d * x[i], n2 = dn[i] + g * g;
                const double sigma = (sqrt(n2) - sqrt(dn[i])) * c->inv_alpha;
                const double z2 = dz[i] + g - sigma * closed_form(dz[i], dn[i], c);
                near(nn[i], n2, 1e-6);
                if (fabs(z[i] - z2) > 1e-5 * (1.0 + fabs(z2))) fail_msg("z[%zu] %.9g != %.9g", i, z[i], z2);
            }
            gn__ftrl_sqrt(nn, r, n);
            for (size_t i = 0; i < n; i++) near(r[i], sqrt((double)nn[i]), 1e-6);
        }
        if (consts[ci].l1 > 0) assert_true(zeros > 50); /* |z| <= l1 shrinks to exactly 0 */
        assert_true(signs[0] > 50 && signs[1] > 50);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights_score_and_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
