package org.modhub.api.han;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A tariff price for in-home displays (the fields of a ZigBee SE PublishPrice that displays show).
 *
 * @param providerId the energy supplier's id (unsigned 32 bits)
 * @param rateLabel the tariff's name, at most 12 characters
 * @param issuerEventId the issuer's id of this price; a newer price has a larger one (unsigned 32 bits)
 * @param currency ISO 4217 numeric currency code (826 for GBP)
 * @param trailingDigits digits after the decimal point of {@code price} in minor units (0..15)
 * @param price the price per kWh: {@code price × 10^-trailingDigits} minor currency units (unsigned 32 bits)
 * @param start when the price applies from, UTC
 * @param duration how long it applies (whole minutes; at most 0xFFFE minutes)
 */
public record DisplayPrice(long providerId, String rateLabel, long issuerEventId, int currency, int trailingDigits,
        long price, Instant start, Duration duration) {
    public DisplayPrice {
        Objects.requireNonNull(rateLabel, "rateLabel");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(duration, "duration");
        if (providerId < 0 || providerId > 0xFFFFFFFFL || issuerEventId < 0 || issuerEventId > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("provider and issuer event ids are unsigned 32-bit values");
        }
        if (rateLabel.length() > 12) {
            throw new IllegalArgumentException("rate label longer than 12 characters: '" + rateLabel + "'");
        }
        if (currency < 0 || currency > 999) {
            throw new IllegalArgumentException("currency is an ISO 4217 numeric code: " + currency);
        }
        if (trailingDigits < 0 || trailingDigits > 15) {
            throw new IllegalArgumentException("trailing digits out of 0..15: " + trailingDigits);
        }
        if (price < 0 || price > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("price out of 0..2^32-1: " + price);
        }
        if (duration.toMinutes() < 1 || duration.toMinutes() > 0xFFFE) {
            throw new IllegalArgumentException("duration out of 1..65534 minutes: " + duration);
        }
    }
}
