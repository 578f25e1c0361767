package org.modhub.core.internal.db;

/** How hard a commit waits for the disk (SQLite's synchronous pragma in WAL mode). */
public enum Durability {
    /** fsync on every commit: a commit that returned survives power loss. */
    FULL,
    /** fsync at checkpoints only: survives a process crash, may lose the last commits on power loss. */
    NORMAL
}
