/** Checkpoints: a module's parameters and its optimizer's state in the safetensors format, saved atomically and read strictly. */
package dev.autodiff.nn.io;
