package dev.tokenkeeper.archfixture.store.tck;

import redis.clients.jedis.UnifiedJedis;

/** Breaks "the kit depends only on domain, JUnit and AssertJ": a server library in the kit. */
public abstract class KitUsingJedis {
    protected abstract UnifiedJedis redis();
}
