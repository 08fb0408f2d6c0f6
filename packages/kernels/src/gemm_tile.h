/*
 * gemm_tile.h: the register tiles of the matrix-product kernels (conv1x1.c, conv_im2col.c):
 * a product tile over row pointers, and a tile of a sum of outer products with the block loop
 * around it (filter gradients).
 */
#ifndef GEMM_TILE_H
#define GEMM_TILE_H

#include "slim_internal.h"

/* c[p][c0 ..] = sum_k a[p][k] b[k][c0 ..] for P rows and J vectors of columns. */
static inline __attribute__((always_inline)) void gemm_tile(
    const int P, const int J, const float *const *restrict arow, int K,
    const float *restrict b, int NP, float *const *restrict crow, int N, int c0) {
  vf acc[PMAX][JMAX];
  for (int p = 0; p < P; p++)
    for (int j = 0; j < J; j++) acc[p][j] = (vf){0};
  for (int k = 0; k < K; k++) {
    vf bv[JMAX];
    for (int j = 0; j < J; j++) bv[j] = vload(b + (size_t)k * NP + c0 + j * VLEN);
    for (int p = 0; p < P; p++) {
      vf as = vsplat(arow[p][k]);
      for (int j = 0; j < J; j++) acc[p][j] = vmadd(bv[j], as, acc[p][j]);
    }
  }
  for (int j = 0; j < J; j++) {
    int c = c0 + j * VLEN, lanes = imin(VLEN, N - c);
    for (int p = 0; p < P; p++) {
      float *o = crow[p] + c;
      if (lanes == VLEN) vstore(o, acc[p][j]);
      else
        for (int l = 0; l < lanes; l++) o[l] = acc[p][j][l];
    }
  }
}

/* acc[r][c0 ..] += sum over the block's rows of xb[m][r] * db[m][c0 ..], R rows, J vectors. */
static inline __attribute__((always_inline)) void wgrad_rows_tile(
    const int R, const int J, const float *restrict xb, int Cin, const float *restrict db,
    int CoutP, int rows, float *restrict acc) {
  vf t[PMAX][JMAX];
  for (int r = 0; r < R; r++)
    for (int j = 0; j < J; j++) t[r][j] = vload(acc + (size_t)r * CoutP + j * VLEN);
  for (int m = 0; m < rows; m++) {
    vf d[JMAX];
    for (int j = 0; j < J; j++) d[j] = vload(db + (size_t)m * CoutP + j * VLEN);
    for (int r = 0; r < R; r++) {
      vf xs = vsplat(xb[(size_t)m * Cin + r]);
      for (int j = 0; j < J; j++) t[r][j] = vmadd(xs, d[j], t[r][j]);
    }
  }
  for (int r = 0; r < R; r++)
    for (int j = 0; j < J; j++) vstore(acc + (size_t)r * CoutP + j * VLEN, t[r][j]);
}

/* dst [rows][NP] = src [rows][N] with each row's columns N .. NP zero (a block padded to vectors). */
static inline void pad_columns(const float *restrict src, int rows, int N, int NP,
                               float *restrict dst) {
  for (int m = 0; m < rows; m++)
    for (int o = 0; o < NP; o++) dst[(size_t)m * NP + o] = o < N ? src[(size_t)m * N + o] : 0;
}

/*
 * acc [K][NP] += xb [rows][K]^T db [rows][NP]: one block of a filter gradient, over register
 * tiles of R rows of K and J vectors of NP (the shape tile_shape picks for NP / VLEN vectors).
 */
static inline __attribute__((always_inline)) void wgrad_block(
    const float *restrict xb, int K, const float *restrict db, int NP, int rows, int R, int J,
    float *restrict acc) {
  const int vectors = NP / VLEN;
  for (int r0 = 0; r0 < K; r0 += R) {
    int r = imin(R, K - r0);
    for (int v0 = 0; v0 < vectors; v0 += J) {
      int j = imin(J, vectors - v0);
      float *at = acc + (size_t)r0 * NP + v0 * VLEN;
#define WGRAD_BLOCK_TILE(R, J) wgrad_rows_tile(R, J, xb + r0, K, db + v0 * VLEN, NP, rows, at)
      DISPATCH_PJ(r, j, WGRAD_BLOCK_TILE);
#undef WGRAD_BLOCK_TILE
    }
  }
}

#endif
