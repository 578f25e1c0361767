package org.modhub.gprs.internal;

import java.util.Set;

/**
 * Validated settings of the modem link. {@link #from} refuses a bad value with an
 * {@link IllegalArgumentException} whose message names the PID and the field.
 */
public record GprsSettings(String port, int baudRate, String pin, String apn, String pdpType, int cid,
        int signalThresholdDbm, boolean degradedWhenRoaming, int commandTimeoutMs, int pdpTimeoutMs,
        int pollIntervalMs, int silentCommandsBeforeReset, int resetRecoveryMs, String interfaceName,
        String bindAddress, int mtu, boolean metered) {

    static final Set<Integer> BAUD_RATES = Set.of(300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200,
            230400, 460800, 921600, 1000000, 2000000, 3000000, 4000000);

    public GprsSettings {
        String pid = GprsLinkComponent.PID;
        port = port == null ? "" : port.strip();
        if (port.isEmpty() || port.length() > 255 || port.chars().anyMatch(c -> c < 0x20)) {
            throw bad(pid, "port", "'" + port + "' is not a serial device path");
        }
        if (!BAUD_RATES.contains(baudRate)) {
            throw bad(pid, "baudRate", baudRate + " is not a standard rate");
        }
        pin = pin == null ? "" : pin.strip();
        if (!pin.isEmpty() && !pin.matches("\\d{4,8}")) {
            throw bad(pid, "pin", "must be 4 to 8 digits");
        }
        apn = apn == null ? "" : apn.strip();
        // 3GPP TS 23.003 §9.1: labels of letters, digits and hyphens separated by dots, at most 100 octets
        if (apn.length() > 100 || (!apn.isEmpty() && !apn.matches("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*"))) {
            throw bad(pid, "apn", "'" + apn + "' is not an access point name");
        }
        pdpType = pdpType == null ? "" : pdpType.strip().toUpperCase(java.util.Locale.ROOT);
        if (!Set.of("IP", "IPV6", "IPV4V6").contains(pdpType)) {
            throw bad(pid, "pdpType", "'" + pdpType + "' is not IP, IPV6 or IPV4V6");
        }
        range(pid, "cid", cid, 1, 24);
        range(pid, "signalThresholdDbm", signalThresholdDbm, -113, -51);
        range(pid, "commandTimeoutMs", commandTimeoutMs, 100, 120_000);
        range(pid, "pdpTimeoutMs", pdpTimeoutMs, 1000, 300_000);
        range(pid, "pollIntervalMs", pollIntervalMs, 200, 3_600_000);
        range(pid, "silentCommandsBeforeReset", silentCommandsBeforeReset, 1, 20);
        range(pid, "resetRecoveryMs", resetRecoveryMs, 0, 600_000);
        range(pid, "mtu", mtu, 576, 9000);
        interfaceName = interfaceName == null ? "" : interfaceName.strip();
        if (!interfaceName.isEmpty() && !interfaceName.matches("[A-Za-z0-9_.:-]{1,15}")) {
            throw bad(pid, "interfaceName", "'" + interfaceName + "' is not a network interface name");
        }
        bindAddress = bindAddress == null ? "" : bindAddress.strip();
        if (!bindAddress.isEmpty() && !isIpLiteral(bindAddress)) {
            throw bad(pid, "bindAddress", "'" + bindAddress + "' is not an IP address");
        }
    }

    static GprsSettings from(GprsConfig c) {
        return new GprsSettings(c.port(), c.baudRate(), c.pin(), c.apn(), c.pdpType(), c.cid(),
                c.signalThresholdDbm(), c.degradedWhenRoaming(), c.commandTimeoutMs(), c.pdpTimeoutMs(),
                c.pollIntervalMs(), c.silentCommandsBeforeReset(), c.resetRecoveryMs(), c.interfaceName(),
                c.bindAddress(), c.mtu(), c.metered());
    }

    /** Settings with defaults for the given port, as a base for tests. */
    static GprsSettings defaults(String port) {
        return new GprsSettings(port, 115200, "", "", "IP", 1, -105, true, 5000, 60000, 15000, 2, 10000, "", "",
                1500, true);
    }

    GprsSettings withPin(String newPin) {
        return new GprsSettings(port, baudRate, newPin, apn, pdpType, cid, signalThresholdDbm, degradedWhenRoaming,
                commandTimeoutMs, pdpTimeoutMs, pollIntervalMs, silentCommandsBeforeReset, resetRecoveryMs,
                interfaceName, bindAddress, mtu, metered);
    }

    GprsSettings withTimings(int newCommandTimeoutMs, int newPollIntervalMs, int newResetRecoveryMs) {
        return new GprsSettings(port, baudRate, pin, apn, pdpType, cid, signalThresholdDbm, degradedWhenRoaming,
                newCommandTimeoutMs, pdpTimeoutMs, newPollIntervalMs, silentCommandsBeforeReset, newResetRecoveryMs,
                interfaceName, bindAddress, mtu, metered);
    }

    GprsSettings withApn(String newApn) {
        return new GprsSettings(port, baudRate, pin, newApn, pdpType, cid, signalThresholdDbm, degradedWhenRoaming,
                commandTimeoutMs, pdpTimeoutMs, pollIntervalMs, silentCommandsBeforeReset, resetRecoveryMs,
                interfaceName, bindAddress, mtu, metered);
    }

    GprsSettings withSignalThreshold(int dbm) {
        return new GprsSettings(port, baudRate, pin, apn, pdpType, cid, dbm, degradedWhenRoaming, commandTimeoutMs,
                pdpTimeoutMs, pollIntervalMs, silentCommandsBeforeReset, resetRecoveryMs, interfaceName, bindAddress,
                mtu, metered);
    }

    @Override
    public String toString() { // never the PIN
        return "port=" + port + " baud=" + baudRate + " pin=" + (pin.isEmpty() ? "none" : "****") + " apn='" + apn
                + "' pdpType=" + pdpType + " cid=" + cid + " threshold=" + signalThresholdDbm + "dBm roamingDegraded="
                + degradedWhenRoaming + " commandTimeout=" + commandTimeoutMs + "ms pdpTimeout=" + pdpTimeoutMs
                + "ms poll=" + pollIntervalMs + "ms silentBeforeReset=" + silentCommandsBeforeReset + " resetRecovery="
                + resetRecoveryMs + "ms interface='" + interfaceName + "' bind='" + bindAddress + "' mtu=" + mtu;
    }

    private static boolean isIpLiteral(String s) {
        if (s.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            for (String part : s.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    return false;
                }
            }
            return true;
        }
        if (s.indexOf(':') >= 0 && s.matches("[0-9A-Fa-f:.]{2,45}")) {
            try {
                java.net.InetAddress.getByName(s); // a literal: no name lookup
                return true;
            } catch (java.net.UnknownHostException e) {
                return false;
            }
        }
        return false;
    }

    private static void range(String pid, String field, int v, int min, int max) {
        if (v < min || v > max) {
            throw bad(pid, field, v + " is outside " + min + ".." + max);
        }
    }

    private static IllegalArgumentException bad(String pid, String field, String why) {
        return new IllegalArgumentException("configuration " + pid + " refused: field " + field + ": " + why);
    }
}
