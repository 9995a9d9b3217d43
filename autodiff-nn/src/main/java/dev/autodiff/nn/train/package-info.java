/**
 * The training loop for the common case: {@link dev.autodiff.nn.train.Trainer} (epochs, validation, metrics,
 * callbacks, schedules, clipping, checkpoints with resume), {@link dev.autodiff.nn.train.Progress} (a progress
 * line), {@link dev.autodiff.nn.train.History} (per-epoch metrics as CSV and charts). Plain loops need none of it.
 */
package dev.autodiff.nn.train;
