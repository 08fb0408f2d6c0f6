/**
 * Pre-activation ResNet for CIFAR with channel selection, as in the Network Slimming
 * reference's `models/preresnet.py` (work in progress).
 *
 * @module
 */
export {};
