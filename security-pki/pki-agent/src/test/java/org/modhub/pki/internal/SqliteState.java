package org.modhub.pki.internal;

import java.nio.file.Path;
import org.modhub.core.internal.db.Durability;
import org.modhub.core.internal.db.HubStore;
import org.modhub.core.internal.db.SqliteDatabase;
import org.modhub.core.internal.state.SqliteStateStore;

/** hub-core's SQLite state store (WAL, synchronous=FULL) over one file, for the crash test. */
final class SqliteState implements AutoCloseable {
    final SqliteDatabase db;
    final SqliteStateStore state;

    SqliteState(Path file) throws Exception {
        db = SqliteDatabase.open(file, Durability.FULL, true);
        state = new SqliteStateStore(new HubStore() {
            @Override
            public SqliteDatabase hub() {
                return db;
            }
        });
    }

    @Override
    public void close() {
        db.close();
    }
}
