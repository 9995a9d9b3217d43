/** Optimisers (updating parameters in place through the sanctioned path), schedules, clipping, early stopping. */
package dev.autodiff.nn.optim;
