/** Data sets and readers: the IDX format (MNIST, Fashion-MNIST) and {@link dev.autodiff.nn.data.FashionMnist}. */
package dev.autodiff.nn.data;
