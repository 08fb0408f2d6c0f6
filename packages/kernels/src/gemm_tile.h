/*
 * gemm_tile.h: the register tiles of the matrix-product kernels (conv1x1.c, conv_im2col.c):
 * a product tile over row pointers, and a tile of a sum of outer products (filter gradients).
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
      for (int j = 0; j < J; j++) acc[p][j] += bv[j] * as;
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
      for (int j = 0; j < J; j++) t[r][j] += xs * d[j];
    }
  }
  for (int r = 0; r < R; r++)
    for (int j = 0; j < J; j++) vstore(acc + (size_t)r * CoutP + j * VLEN, t[r][j]);
}

#endif
