package org.modhub.core.internal.db;

/** An unexpected failure of the store (disk full, I/O error). */
public class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
