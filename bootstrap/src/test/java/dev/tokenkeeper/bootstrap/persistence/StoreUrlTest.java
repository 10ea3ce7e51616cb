package dev.tokenkeeper.bootstrap.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.Secret;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Issue 16, item 4: every URL form of a store password is split off before anything can show it. */
class StoreUrlTest {

    static final String PW = "p/w@r:d%#? x";

    @Test
    @DisplayName("user info, raw or percent-encoded, with or without a user: the location keeps no password")
    void userInfo() {
        String encoded = URLEncoder.encode(PW, StandardCharsets.UTF_8).replace("+", "%20");
        for (String url : new String[] {"redis://:" + PW + "@h:6379/2", "redis://:" + encoded + "@h:6379/2"}) {
            StoreUrl u = StoreUrl.split(url);
            assertThat(u.location()).isEqualTo("redis://h:6379/2");
            assertThat(u.user()).isNull();
            assertThat(u.password().reveal()).isEqualTo(PW);
        }
        StoreUrl withUser = StoreUrl.split("jdbc:postgresql://tk:" + PW + "@db:5432/tokens?ssl=true");
        assertThat(withUser.location()).isEqualTo("jdbc:postgresql://db:5432/tokens?ssl=true");
        assertThat(withUser.user()).isEqualTo("tk");
        assertThat(withUser.password().reveal()).isEqualTo(PW);
    }

    @Test
    @DisplayName("?password=, &password= and ;PASSWORD= are taken out; other parameters stay; an @ in a parameter is not user info")
    void parameters() {
        StoreUrl q = StoreUrl.split("jdbc:postgresql://db/t?password=abc%2Fd&user=me@corp&ssl=true");
        assertThat(q.location()).isEqualTo("jdbc:postgresql://db/t?user=me@corp&ssl=true");
        assertThat(q.password().reveal()).isEqualTo("abc/d");
        assertThat(q.user()).isNull();
        StoreUrl amp = StoreUrl.split("jdbc:postgresql://db/t?user=me&Password=x y");
        assertThat(amp.location()).isEqualTo("jdbc:postgresql://db/t?user=me");
        assertThat(amp.password().reveal()).isEqualTo("x y");
        StoreUrl h2 = StoreUrl.split("jdbc:h2:mem:t;PASSWORD=" + PW + ";MODE=PostgreSQL");
        assertThat(h2.location()).isEqualTo("jdbc:h2:mem:t;MODE=PostgreSQL");
        assertThat(h2.password().reveal()).isEqualTo(PW);
        assertThat(StoreUrl.split("redis://h:6379").password()).isNull();
    }

    @Test
    @DisplayName("a password given twice is refused without showing either")
    void twice() {
        assertThatThrownBy(() -> StoreUrl.split("jdbc:postgresql://u:" + PW + "@db/t?password=" + PW))
                .isInstanceOf(ConfigurationException.class).message().doesNotContain(PW).contains("gives the password twice");
        assertThatThrownBy(() -> StoreUrl.split("redis://:" + PW + "@h").withPassword(Secret.of("other")))
                .isInstanceOf(ConfigurationException.class).message().doesNotContain(PW).contains("also given apart from it");
        // the setting or option that gave the URL is named by the configuration parser: ConfigHardeningTest.storePasswords
    }

    @Test
    @DisplayName("scrub hides the password in every form a driver might echo, and any user info")
    void scrub() {
        StoreUrl u = StoreUrl.split("jdbc:postgresql://tk:" + PW + "@db/t");
        String message = "could not connect: " + PW + " / " + URLEncoder.encode(PW, StandardCharsets.UTF_8)
                + " / jdbc:postgresql://tk:" + PW + "@db/t";
        assertThat(u.scrub(message)).doesNotContain(PW).doesNotContain(URLEncoder.encode(PW, StandardCharsets.UTF_8))
                .doesNotContain("p/w").doesNotContain("r:d");
        assertThat(StoreUrl.redact("x redis://u:abc@h y ?password=zz&a=b")).isEqualTo("x redis://***@h y ?password=***&a=b");
    }
}
