/** The {@code demo} command: tokenkeeper against an in-process loopback identity provider. */
package dev.tokenkeeper.runnable.demo;
