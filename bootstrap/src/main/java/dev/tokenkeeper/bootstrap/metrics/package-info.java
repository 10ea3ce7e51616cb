/**
 * Token events and manager state as Micrometer meters: counters per event, a latency timer for
 * acquisitions, and gauges for each configured client's seconds-to-expiry, validity and breaker
 * state. Every tag set is bounded: clients are the configured ones (anything else is tagged
 * {@code other}), the remaining tags are enums. No meter carries a secret.
 */
package dev.tokenkeeper.bootstrap.metrics;
