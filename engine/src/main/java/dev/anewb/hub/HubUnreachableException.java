package dev.anewb.hub;

import dev.anewb.AnewbException;

/** The Hub could not be reached at all (no network, DNS, refused, silent): callers may fall back to the cache. */
public final class HubUnreachableException extends AnewbException {
    public HubUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
