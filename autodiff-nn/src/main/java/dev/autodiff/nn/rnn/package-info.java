/**
 * Recurrent layers: one-step cells ({@code RnnCell}, {@code LstmCell}, {@code GruCell}) unrolled by {@code Recurrent},
 * and whole-sequence modules as torch.nn's ({@code Rnn}, {@code Lstm}, {@code Gru}: stacked, bidirectional, packed).
 */
package dev.autodiff.nn.rnn;
