/**
 * The one fake OAuth 2.0 token endpoint of the project, {@link dev.tokenkeeper.fakeidp.FakeIdp}: a
 * loopback server that the tests script answer by answer, that the demo runs with a latency and an
 * outage, and that the benchmarks count requests at. Not published.
 */
package dev.tokenkeeper.fakeidp;
