/**
 * Neural-network building blocks (modules, layers, activations, losses, initialisers), composed only of
 * public core ops, so every layer has reverse mode, forward mode and higher derivatives.
 */
package dev.autodiff.nn;
