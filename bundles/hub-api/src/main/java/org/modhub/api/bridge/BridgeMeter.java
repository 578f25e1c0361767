package org.modhub.api.bridge;

import java.util.Objects;
import org.modhub.api.common.Eui64;

/**
 * A meter a bridge may read.
 *
 * @param id the meter's EUI-64
 * @param gas true for a gas meter (read through the mirror), false for an electricity meter
 */
public record BridgeMeter(Eui64 id, boolean gas) {
    public BridgeMeter {
        Objects.requireNonNull(id, "id");
    }
}
