/**
 * The library's API: {@link dev.autodiff.Tensor} (values and ops), {@link dev.autodiff.Autodiff} (functional
 * gradients and per-thread modes), {@link dev.autodiff.Graph} (listing and DOT export). Inside: the primitive
 * table, with each op's forward and vjp rules side by side, and the reverse traversal.
 */
package dev.autodiff;
