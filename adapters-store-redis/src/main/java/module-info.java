/**
 * The Redis {@code TokenStore}, on Jedis. {@code RedisTokenStore.builder(UnifiedJedis)} takes a Jedis
 * client, so Jedis is re-exported to users.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // see below
module dev.tokenkeeper.adapter.store.redis {
    requires transitive dev.tokenkeeper.domain;
    // Jedis has no module-info, but declares the stable Automatic-Module-Name redis.clients.jedis in
    // its manifest: the name its maintainers chose, not one derived from the file name.
    requires transitive redis.clients.jedis;

    exports dev.tokenkeeper.adapter.store.redis;
}
