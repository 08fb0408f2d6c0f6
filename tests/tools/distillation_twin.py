"""PyTorch twin of the fine-tune's distillation loss (Hinton et al. 2015):

    alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) * CE(s, y)

with kl_div(..., reduction="batchmean") and cross_entropy's label_smoothing. Reads a JSON job
(student and teacher logits, labels, settings), prints the loss and its gradient with respect
to the student logits as JSON.
"""
import json
import sys

import torch
import torch.nn.functional as F


def main(path):
    with open(path) as f:
        job = json.load(f)
    n, k = job["n"], job["k"]
    s = torch.tensor(job["student"], dtype=torch.float64).reshape(n, k).requires_grad_(True)
    t = torch.tensor(job["teacher"], dtype=torch.float64).reshape(n, k)
    y = torch.tensor(job["labels"], dtype=torch.long)
    alpha, temp, smoothing = job["weight"], job["temperature"], job["smoothing"]
    kl = F.kl_div(F.log_softmax(s / temp, dim=1), F.softmax(t / temp, dim=1), reduction="batchmean")
    ce = F.cross_entropy(s, y, label_smoothing=smoothing)
    loss = alpha * temp * temp * kl + (1 - alpha) * ce
    loss.backward()
    print(json.dumps({"loss": loss.item(), "grad": s.grad.reshape(-1).tolist()}))


if __name__ == "__main__":
    main(sys.argv[1])
