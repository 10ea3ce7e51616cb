package dev.tokenkeeper.domain.api;

import dev.tokenkeeper.domain.AccessToken;
import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * What proves, request by request, that the caller holds the key a sender-constrained token is
 * bound to: for DPoP (RFC 9449), a {@code DPoP} header with a proof signed for the request's method
 * and URI, the token's hash ({@code ath}) and the server's latest nonce. {@link AuthenticatedRequests}
 * asks it for every request (and every redirect hop within the addressed origin) that carries a
 * DPoP-bound token, and owns the rest: the {@code Authorization: DPoP <token>} header, which nonce
 * each server sent last, and the one retry a {@code use_dpop_nonce} challenge earns
 * ({@link #asksForNonce}).
 *
 * <p>The DPoP implementation is adapters-http's {@code DpopProofs}; the bootstrap's
 * {@code Tokenkeeper.requests(client)} wires it for a client configured with {@code dpop=true}.
 * Implementations are thread-safe, sign a new proof (new {@code jti}) on every call, and never show a
 * token or proof in a message or {@code toString}.
 */
public interface ProofOfPossession {

    /** The header that carries a DPoP proof (RFC 9449 §4.1). */
    String DPOP = "DPoP";

    /** The response header in which a server sends the nonce it wants in the next proofs (RFC 9449 §8). */
    String DPOP_NONCE = "DPoP-Nonce";

    /**
     * The headers that prove possession for one request, besides {@code Authorization}: for DPoP,
     * {@code DPoP: <proof>}.
     *
     * @param method the request's method
     * @param uri the request's absolute URI (the proof names it without query and fragment)
     * @param token the DPoP-bound access token the request carries
     * @param nonce the server's latest {@code DPoP-Nonce}, or null if it sent none
     */
    Map<String, String> headers(String method, URI uri, AccessToken token, String nonce);

    /** Whether {@code tokenType} is {@code DPoP} (compared ignoring case, as RFC 6749 §7.1 says). */
    static boolean isDpop(String tokenType) {
        return DPOP.equalsIgnoreCase(tokenType);
    }

    /**
     * Whether an answer asks for a DPoP nonce (RFC 9449 §9): a 401 with a {@code DPoP-Nonce} header
     * ({@code nonce}, null if absent) and a {@code use_dpop_nonce} challenge among {@code challenges}
     * (its {@code WWW-Authenticate} values). Such an answer does not reject the token: the request is
     * sent once more, with a proof carrying the nonce. The one place this rule is written; every
     * client that sends DPoP-bound tokens asks here.
     */
    static boolean asksForNonce(int status, String nonce, List<String> challenges) {
        if (status != 401 || nonce == null || nonce.isBlank()) {
            return false;
        }
        for (String challenge : challenges) {
            if (AuthenticatedRequests.USE_DPOP_NONCE.matcher(challenge).find()) {
                return true;
            }
        }
        return false;
    }
}
