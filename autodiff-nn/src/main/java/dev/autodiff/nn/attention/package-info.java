/**
 * Attention as torch.nn's: scaled dot-product attention with masks and dropout ({@code Attention}, {@code AttentionMask}),
 * {@code MultiheadAttention}, {@code TransformerEncoderLayer} / {@code TransformerDecoderLayer}, positional encodings.
 */
package dev.autodiff.nn.attention;
