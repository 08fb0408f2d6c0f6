/* sgd.c: one optimizer update. */
#include "slim_internal.h"

/*
 * PyTorch SGD (momentum, weight decay, dampening 0, optionally Nesterov) with an extra L1
 * subgradient l1 * sign(p) added to the gradient first (Network Slimming's updateBN):
 *   d = g + l1 * sign(p) + wd * p;  buf = first ? d : momentum * buf + d;
 *   p -= lr * buf, or with Nesterov p -= lr * (d + momentum * buf).
 */
void EXPORT(slim_sgd)(float *p, const float *g, float *buf, int n, float lr, float momentum,
                      float wd, float l1, int first, int nesterov) {
  for (int i = 0; i < n; i++) {
    float s = p[i] > 0 ? 1.0f : (p[i] < 0 ? -1.0f : 0.0f);
    float d = g[i] + l1 * s + wd * p[i];
    float b = first ? d : momentum * buf[i] + d;
    buf[i] = b;
    p[i] = p[i] - lr * (nesterov ? d + momentum * b : b);
  }
}
