/**
 * Loops on primitive arrays: elementwise with broadcasting, reductions, GEMM, index maps (permute, slice,
 * gather, im2col). Nothing here knows about graphs or gradients.
 */
package dev.autodiff.kernel;
