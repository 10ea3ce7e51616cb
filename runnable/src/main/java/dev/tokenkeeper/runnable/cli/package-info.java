/** The {@code tokenkeeper} command line: exit codes and output a script can rely on. */
package dev.tokenkeeper.runnable.cli;
