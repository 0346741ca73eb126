/* bench/gen-mf.c: a generated ratings set for bench/mf.sh: USERS x ITEMS, N ratings as CSV
 * "user,item,rating" (no header), items drawn from a power law (Zipf-like, exponent ~1), users
 * uniformly, ratings from a rank-4 model plus noise clipped to 1..5.
 *   usage: gen-mf USERS ITEMS N SEED > out.csv */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t s;
static double u01(void) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return (double)(s >> 11) * 0x1.0p-53;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: gen-mf USERS ITEMS N SEED\n");
        return 2;
    }
    const long nu = atol(argv[1]), ni = atol(argv[2]), n = atol(argv[3]);
    s = 0x9E3779B97F4A7C15ull ^ (uint64_t)atol(argv[4]);
    float *uf = malloc((size_t)nu * 4 * sizeof *uf), *itf = malloc((size_t)ni * 4 * sizeof *itf);
    if (!uf || !itf) return 1;
    for (long i = 0; i < nu * 4; i++) uf[i] = (float)(u01() - 0.5);
    for (long i = 0; i < ni * 4; i++) itf[i] = (float)(u01() - 0.5);
    const double lmax = log((double)ni + 1.0);
    for (long k = 0; k < n; k++) {
        long u = (long)(u01() * nu);
        long i = (long)(exp(u01() * lmax) - 1.0); /* density ~ 1/(i+1): power law */
        if (i >= ni) i = ni - 1;
        double r = 3.5;
        for (int f = 0; f < 4; f++) r += 2.0 * uf[u * 4 + f] * itf[i * 4 + f] * 4;
        r += 0.5 * (u01() - 0.5);
        r = r < 1 ? 1 : r > 5 ? 5 : r;
        printf("%ld,%ld,%.1f\n", u, i, r);
    }
    free(uf);
    free(itf);
    return 0;
}
