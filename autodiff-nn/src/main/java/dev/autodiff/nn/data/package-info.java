/**
 * Data: {@link dev.autodiff.nn.data.Dataset}, {@link dev.autodiff.nn.data.TensorDataset} and
 * {@link dev.autodiff.nn.data.DataLoader} (batches, seeded shuffles, splits, prefetch); readers with validation for
 * IDX files ({@link dev.autodiff.nn.data.Idx}, {@link dev.autodiff.nn.data.FashionMnist}), CSV
 * ({@link dev.autodiff.nn.data.Csv}) and the King James Bible of Debian's bible-kjv-text
 * ({@link dev.autodiff.nn.data.KingJamesBible}); text to indices with {@link dev.autodiff.nn.data.Tokenizer} and
 * {@link dev.autodiff.nn.data.Vocabulary}.
 */
package dev.autodiff.nn.data;
