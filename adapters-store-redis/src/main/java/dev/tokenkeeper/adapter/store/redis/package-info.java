/**
 * A {@link dev.tokenkeeper.domain.spi.TokenStore} on Redis, through Jedis:
 * {@link dev.tokenkeeper.adapter.store.redis.RedisTokenStore}. It works with a standalone server,
 * Sentinel or a Redis Cluster, because it takes any {@code UnifiedJedis} and keeps the two keys of
 * one store key in one hash slot.
 *
 * <p>Only {@code RedisTokenStore} and its builder are API; the other types of this package are
 * package-private details.
 */
package dev.tokenkeeper.adapter.store.redis;
