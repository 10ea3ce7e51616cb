/**
 * Test fixtures shared by the modules' tests: finding (or starting) real Redis and PostgreSQL
 * servers on loopback, and failing rather than skipping when CI requires them. Not published.
 */
package dev.tokenkeeper.testsupport;
