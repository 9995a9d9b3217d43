/**
 * Checkpoints: a module's parameters and its optimizer's state in the safetensors format, saved atomically and read
 * strictly; TorchWeights: a PyTorch state_dict in and out, by PyTorch's names and layouts.
 */
package dev.autodiff.nn.io;
