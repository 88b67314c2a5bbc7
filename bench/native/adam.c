// The ceiling for WebAssembly SIMD128: the same fused Adam step in C with 128-bit SSE
// intrinsics and no FMA (wasm SIMD128 has none without relaxed SIMD). Not part of the package;
// `gcc -O3 -msse4.2 -mno-fma adam.c -o adam -lm && ./adam` prints Gelem/s at 1e3, 1e6, 1e7.
#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void adam(float *p, const float *g, float *m, float *v, long n, float b1, float omb1, float b2,
                 float omb2, float lrc1, float rc2, float eps) {
  __m128 B1 = _mm_set1_ps(b1), OMB1 = _mm_set1_ps(omb1), B2 = _mm_set1_ps(b2), OMB2 = _mm_set1_ps(omb2);
  __m128 LRC1 = _mm_set1_ps(lrc1), RC2 = _mm_set1_ps(rc2), EPS = _mm_set1_ps(eps);
  long i = 0;
  for (; i + 4 <= n; i += 4) {
    __m128 gi = _mm_loadu_ps(g + i);
    __m128 mi = _mm_add_ps(_mm_mul_ps(B1, _mm_loadu_ps(m + i)), _mm_mul_ps(OMB1, gi));
    __m128 vi = _mm_add_ps(_mm_mul_ps(B2, _mm_loadu_ps(v + i)), _mm_mul_ps(OMB2, _mm_mul_ps(gi, gi)));
    _mm_storeu_ps(m + i, mi);
    _mm_storeu_ps(v + i, vi);
    __m128 d = _mm_add_ps(_mm_mul_ps(_mm_sqrt_ps(vi), RC2), EPS);
    _mm_storeu_ps(p + i, _mm_sub_ps(_mm_loadu_ps(p + i), _mm_mul_ps(LRC1, _mm_div_ps(mi, d))));
  }
  for (; i < n; i++) {
    m[i] = b1 * m[i] + omb1 * g[i];
    v[i] = b2 * v[i] + omb2 * (g[i] * g[i]);
    p[i] -= lrc1 * (m[i] / (sqrtf(v[i]) * rc2 + eps));
  }
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(void) {
  long sizes[] = {1000, 1000000, 10000000};
  for (int s = 0; s < 3; s++) {
    long n = sizes[s], reps = n < 100000 ? 100000 / n : 1;
    float *p = aligned_alloc(64, n * 4), *g = aligned_alloc(64, n * 4), *m = aligned_alloc(64, n * 4), *v = aligned_alloc(64, n * 4);
    for (long i = 0; i < n; i++) { p[i] = (float)rand() / RAND_MAX - 0.5f; g[i] = (float)rand() / RAND_MAX - 0.5f; m[i] = v[i] = 0; }
    double samples[31];
    for (int k = 0; k < 31; k++) {
      double t0 = now();
      for (long r = 0; r < reps; r++) adam(p, g, m, v, n, 0.9f, 0.1f, 0.999f, 0.001f, 1e-3f, 1.0f, 1e-8f);
      samples[k] = (now() - t0) / reps;
    }
    qsort(samples, 31, sizeof(double), cmp);
    printf("n=%ld  %.3f Gelem/s (median of 31)\n", n, n / samples[15] / 1e9);
    free(p); free(g); free(m); free(v);
  }
  return 0;
}
