/**
 * GradCheck: reverse-mode gradients (and gradients of gradients) checked against central finite
 * differences in float64, per element and along random directions. Uses only the public API.
 */
package dev.autodiff.check;
