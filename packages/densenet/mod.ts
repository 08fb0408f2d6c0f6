/**
 * DenseNet-BC-less DenseNet for CIFAR with channel selection, as in the Network Slimming
 * reference's `models/densenet.py` (work in progress).
 *
 * @module
 */
export {};
