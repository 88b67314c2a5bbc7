// The ceiling for wasm-optim's matrix multiply (assembly/muon.ts): the same loop nest in C with
// 128-bit SSE and no FMA: B packed in 8-column panels, k in blocks of 256, rows in blocks of 64,
// register tiles of 4 rows by 8 columns (eight accumulators), packing counted in the time. Not
// part of the package: `gcc -O3 -msse4.2 -mno-fma matmul.c -o matmul && ./matmul` prints GFLOP/s
// (2·n³ per product, median of 9) at n = 256, 512 and 1024.
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KC 256
#define MC 64

static void pack(const float *b, float *dst, int k, int n) {
  for (int j = 0; j < n; j += 8)
    for (int t = 0; t < k; t++) memcpy(dst + (long)j * k + (long)t * 8, b + (long)t * n + j, 32);
}

static void tile(const float *a, const float *pb, float *c, int k, int n, int kc, int first) {
  __m128 s[8];
  for (int r = 0; r < 4; r++) {
    s[2 * r] = first ? _mm_setzero_ps() : _mm_loadu_ps(c + (long)r * n);
    s[2 * r + 1] = first ? _mm_setzero_ps() : _mm_loadu_ps(c + (long)r * n + 4);
  }
  for (int t = 0; t < kc; t++) {
    __m128 b0 = _mm_loadu_ps(pb + 8 * t), b1 = _mm_loadu_ps(pb + 8 * t + 4);
    for (int r = 0; r < 4; r++) {
      __m128 x = _mm_set1_ps(a[(long)r * k + t]);
      s[2 * r] = _mm_add_ps(s[2 * r], _mm_mul_ps(x, b0));
      s[2 * r + 1] = _mm_add_ps(s[2 * r + 1], _mm_mul_ps(x, b1));
    }
  }
  for (int r = 0; r < 4; r++) {
    _mm_storeu_ps(c + (long)r * n, s[2 * r]);
    _mm_storeu_ps(c + (long)r * n + 4, s[2 * r + 1]);
  }
}

/** C = A·B for square n (a multiple of 8), B packed into bp first. */
static void matmul(const float *a, const float *b, float *bp, float *c, int n) {
  pack(b, bp, n, n);
  for (int k0 = 0; k0 < n; k0 += KC)
    for (int ib = 0; ib < n; ib += MC)
      for (int j = 0; j < n; j += 8)
        for (int i = ib; i < ib + MC && i < n; i += 4)
          tile(a + (long)i * n + k0, bp + (long)j * n + (long)k0 * 8, c + (long)i * n + j, n, n,
               n - k0 < KC ? n - k0 : KC, k0 == 0);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

int main(void) {
  int sizes[] = {256, 512, 1024};
  for (int s = 0; s < 3; s++) {
    int n = sizes[s];
    float *a = aligned_alloc(64, sizeof(float) * n * n), *b = aligned_alloc(64, sizeof(float) * n * n);
    float *bp = aligned_alloc(64, sizeof(float) * n * n), *c = aligned_alloc(64, sizeof(float) * n * n);
    for (long i = 0; i < (long)n * n; i++) {
      a[i] = (float)rand() / RAND_MAX - 0.5f;
      b[i] = (float)rand() / RAND_MAX - 0.5f;
    }
    double times[9];
    for (int r = 0; r < 9; r++) {
      double t0 = now();
      matmul(a, b, bp, c, n);
      times[r] = now() - t0;
    }
    qsort(times, 9, sizeof(double), cmp);
    printf("n=%d %.2f GFLOP/s (c[7]=%g)\n", n, 2.0 * n * n * n / times[4] / 1e9, c[7]);
    free(a), free(b), free(bp), free(c);
  }
  return 0;
}
