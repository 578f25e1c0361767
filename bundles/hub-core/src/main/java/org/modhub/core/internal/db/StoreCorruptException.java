package org.modhub.core.internal.db;

/** A store file exists but is not a readable, intact SQLite database. It is left untouched. */
public class StoreCorruptException extends Exception {
    private static final long serialVersionUID = 1L;

    public StoreCorruptException(String message, Throwable cause) {
        super(message, cause);
    }
}
