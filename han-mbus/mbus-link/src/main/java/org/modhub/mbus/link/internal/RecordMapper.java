package org.modhub.mbus.link.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.modhub.api.han.DeviceType;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.Unit;
import org.modhub.mbus.link.internal.MbusDecodeException.Reason;
import org.openmuc.jmbus.Bcd;
import org.openmuc.jmbus.DataRecord;
import org.openmuc.jmbus.DataRecord.Description;
import org.openmuc.jmbus.DataRecord.FunctionField;

/**
 * Maps EN 13757-3 data records onto the hub's metering model.
 *
 * <p><b>Identity (OBIS, EN 13757-1 value groups):</b> A = medium (1 electricity, 4 heat cost
 * allocator, 6 heat, 7 gas, 8 cold water, 9 warm/hot water); C, D by quantity: electricity energy
 * 1.8 (reactive 3.8), power 1.7, voltage 32.7, current 31.7, frequency 14.7; gas volume 3.0; other
 * media energy 1.0, volume 2.0 (water: 1.0), power 8.0, flow 9.0, flow temperature 10.0, return
 * temperature 11.0, temperature difference 12.0, HCA units 1.0; E = the record's tariff; F = 255 for
 * the current value (storage number 0), else the storage number (1..254).
 *
 * <p><b>Value:</b> unit from the VIF (as jMBus decodes it, DLMS unit codes), scaler = the VIF's
 * power of ten; BCD and integers exactly, REAL through its decimal form.
 *
 * <p>Records that are not metering values (dates, times, fabrication number, error flags, operating
 * time, manufacturer-specific data) and maximum/minimum/error-state values are left out on purpose;
 * a reserved or unknown VIF, or a value the model cannot hold, is refused with a typed exception.
 */
public final class RecordMapper {
    /** The outcome for one telegram: readings, and the records refused with why. */
    public record Mapping(List<Reading> readings, List<MbusDecodeException> refused, int ignored) {
        public Mapping {
            readings = List.copyOf(readings);
            refused = List.copyOf(refused);
        }
    }

    private RecordMapper() {
    }

    /** The hub device type for an EN 13757-3 medium code. */
    public static Optional<DeviceType> deviceType(int medium) {
        return switch (medium) {
            case 0x02 -> Optional.of(DeviceType.ELECTRICITY_METER);
            case 0x03 -> Optional.of(DeviceType.GAS_METER);
            case 0x04, 0x08, 0x0A, 0x0B, 0x0C, 0x0D -> Optional.of(DeviceType.HEAT_METER);
            case 0x06, 0x07, 0x15, 0x16, 0x28 -> Optional.of(DeviceType.WATER_METER);
            default -> Optional.empty();
        };
    }

    static int obisMedium(int medium) {
        return switch (medium) {
            case 0x02 -> 1;
            case 0x03 -> 7;
            case 0x08 -> 4;
            case 0x04, 0x0A, 0x0B, 0x0C, 0x0D -> 6;
            case 0x07, 0x16, 0x28 -> 8;
            case 0x06, 0x15 -> 9;
            default -> 0;
        };
    }

    public static Mapping map(Telegram t, Instant at) {
        List<Reading> out = new ArrayList<>();
        List<MbusDecodeException> refused = new ArrayList<>();
        int ignored = 0;
        int a = obisMedium(t.mediumCode());
        for (DataRecord r : t.records()) {
            try {
                Optional<Reading> reading = map(t, a, r, at);
                if (reading.isPresent()) {
                    out.add(reading.get());
                } else {
                    ignored++;
                }
            } catch (MbusDecodeException e) {
                refused.add(e);
            }
        }
        return new Mapping(out, refused, ignored);
    }

    private static Optional<Reading> map(Telegram t, int a, DataRecord r, Instant at) throws MbusDecodeException {
        Description d = r.getDescription();
        if (d == null || d == Description.NOT_SUPPORTED || d == Description.RESERVED) {
            throw new MbusDecodeException(Reason.UNKNOWN_VIF, String.format("%s: reserved or unknown VIF %s",
                    Telegrams.name(t.address()), java.util.HexFormat.of().formatHex(r.getVib()).toUpperCase(java.util.Locale.ROOT)));
        }
        if (r.getFunctionField() != FunctionField.INST_VAL) {
            return Optional.empty();
        }
        int[] cd = quantity(a, d);
        if (cd == null) {
            return Optional.empty();
        }
        long storage = r.getStorageNumber();
        if (storage < 0 || storage > 254) {
            throw new MbusDecodeException(Reason.UNSUPPORTED_RECORD, Telegrams.name(t.address()) + ": storage number " + storage + " beyond 254");
        }
        int tariff = r.getTariff();
        if (tariff < 0 || tariff > 255) {
            throw new MbusDecodeException(Reason.UNSUPPORTED_RECORD, Telegrams.name(t.address()) + ": tariff " + tariff);
        }
        Unit unit = unit(d, r).orElse(null);
        if (unit == null) { // e.g. kelvin, bar: quantities the metering model has no unit for
            return Optional.empty();
        }
        long raw;
        int scaler = r.getMultiplierExponent();
        Object v = r.getDataValue();
        if (v instanceof Bcd bcd) {
            raw = bcd.longValue();
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            raw = ((Number) v).longValue();
        } else if (v instanceof BigInteger big) {
            if (big.bitLength() > 63) {
                throw new MbusDecodeException(Reason.UNSUPPORTED_RECORD, Telegrams.name(t.address()) + ": value beyond 64 bits");
            }
            raw = big.longValue();
        } else if (v instanceof Double dbl) {
            if (dbl.isNaN() || dbl.isInfinite()) {
                throw new MbusDecodeException(Reason.UNSUPPORTED_RECORD, Telegrams.name(t.address()) + ": value " + dbl);
            }
            BigDecimal bd = new BigDecimal(Double.toString(dbl)).stripTrailingZeros();
            raw = bd.unscaledValue().longValueExact();
            scaler = scaler - bd.scale();
        } else {
            return Optional.empty();
        }
        if (scaler < -18 || scaler > 18) {
            throw new MbusDecodeException(Reason.UNSUPPORTED_RECORD, Telegrams.name(t.address()) + ": scaler " + scaler + " out of -18..18");
        }
        ObisCode obis = new ObisCode(a, 0, cd[0], cd[1], tariff, storage == 0 ? 255 : (int) storage);
        return Optional.of(new Reading(t.device(), obis, at, raw, scaler, unit));
    }

    /** OBIS C and D of a quantity on a medium, or null when it is not a metering value. */
    static int[] quantity(int a, Description d) {
        boolean elec = a == 1;
        return switch (d) {
            case ENERGY -> elec ? new int[] {1, 8} : new int[] {1, 0};
            case REACTIVE_ENERGY -> elec ? new int[] {3, 8} : null;
            case APPARENT_ENERGY -> elec ? new int[] {9, 8} : null;
            case VOLUME -> a == 7 ? new int[] {3, 0} : a == 8 || a == 9 ? new int[] {1, 0} : new int[] {2, 0};
            case POWER -> elec ? new int[] {1, 7} : new int[] {8, 0};
            case REACTIVE_POWER -> elec ? new int[] {3, 7} : null;
            case VOLUME_FLOW, VOLUME_FLOW_EXT -> new int[] {9, 0};
            case FLOW_TEMPERATURE -> new int[] {10, 0};
            case RETURN_TEMPERATURE -> new int[] {11, 0};
            case TEMPERATURE_DIFFERENCE -> new int[] {12, 0};
            case VOLTAGE -> elec ? new int[] {32, 7} : null;
            case CURRENT -> elec ? new int[] {31, 7} : null;
            case FREQUENCY -> elec ? new int[] {14, 7} : null;
            case HCA -> new int[] {1, 0};
            default -> null;
        };
    }

    static Optional<Unit> unit(Description d, DataRecord r) {
        if (d == Description.HCA) {
            return Optional.of(Unit.COUNT);
        }
        if (r.getUnit() == null) {
            return Optional.empty();
        }
        return Unit.fromDlms(r.getUnit().getId());
    }
}
